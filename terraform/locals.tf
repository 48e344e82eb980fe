locals {
  account_id = data.aws_caller_identity.current.account_id
  # `id` is the region's name in provider 5.x and 6.x alike; 6.0 deprecates `name` (in favour of `region`).
  region     = data.aws_region.current.id
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix

  tags = merge({ "ecr-scan-reporter" = var.name_prefix }, var.tags)

  # The four functions: the names of their bundles in dist/ are the short names. send-digests exists only with
  # digests (digests.tf); its names are written out all the same, as the ARNs below are.
  function_names = {
    schedule_scans  = "${var.name_prefix}-schedule-scans"
    scan_images     = "${var.name_prefix}-scan-images"
    report_findings = "${var.name_prefix}-report-findings"
    send_digests    = "${var.name_prefix}-send-digests"
  }
  # The functions this instance deploys (the alarms watch each one).
  deployed_function_names = { for key, name in local.function_names : key => name if key != "send_digests" || local.digests_enabled }
  log_group_names         = { for key, name in local.function_names : key => "/aws/lambda/${name}" }

  queue_names = {
    scan         = "${var.name_prefix}-scan"
    scan_dlq     = "${var.name_prefix}-scan-dlq"
    report       = "${var.name_prefix}-report"
    report_dlq   = "${var.name_prefix}-report-dlq"
    schedule_dlq = "${var.name_prefix}-schedule-dlq"
    digest_dlq   = "${var.name_prefix}-digest-dlq"
  }

  rule_names = {
    schedule           = "${var.name_prefix}-schedule"
    digests            = "${var.name_prefix}-digests"
    ecr_image_scan     = "${var.name_prefix}-ecr-image-scan"
    inspector2_scan    = "${var.name_prefix}-inspector2-scan"
    inspector2_finding = "${var.name_prefix}-inspector2-finding"
    ecr_image_delete   = "${var.name_prefix}-ecr-image-delete"
  }

  # ARNs are written out from their parts instead of read from the resources: they are then known at plan time,
  # which the size decision of the config document (config.tf) needs — it holds the SNS topic's ARN — and which
  # lets the tests assert the policies of a plan.
  arn_prefix = {
    for service in ["ecr", "sqs", "sns", "events", "logs", "ssm", "kms", "secretsmanager", "ses", "lambda", "ec2", "dynamodb"] :
    service => "arn:${local.partition}:${service}:${local.region}:${local.account_id}"
  }
  queue_arns          = { for key, name in local.queue_names : key => "${local.arn_prefix.sqs}:${name}" }
  log_group_arns      = { for key, name in local.log_group_names : key => "${local.arn_prefix.logs}:log-group:${name}" }
  rule_arns           = { for key, name in local.rule_names : key => "${local.arn_prefix.events}:rule/${name}" }
  ecr_repository_arns = "${local.arn_prefix.ecr}:repository/*"

  # Report path: batches of ~50 messages gathered for up to 20 s, so that a burst of Inspector2 Finding events for
  # one image lands in one invocation (the handler reports each image once per batch).
  report_batch_size        = 50
  report_batching_window_s = 20
  scan_batch_size          = 5
  # A day more than the 4-day default of the source queues, well within SQS's 14-day maximum.
  queue_retention_s = 345600
  dlq_retention_s   = 1209600

  # EventBridge retries a failed delivery (a queue or key policy that refuses it, Lambda throttling) for an hour
  # instead of its default 24: a failure that outlasts that is a misconfiguration, which the event's DLQ and its
  # alarm then show the same day; the event itself is kept there for a redrive.
  event_retry_max_age_s    = 3600
  event_retry_max_attempts = 185
}
