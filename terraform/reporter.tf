# The report path: scan events reach the report queue (+DLQ) through EventBridge rules; report-findings reads the
# findings of each image and hands the report to the reporters. With the ledger, image deletions reach it too.

locals {
  # ECR basic scans send "ECR Image Scan" (COMPLETE, FAILED). Under enhanced scanning Amazon Inspector sends
  # "Inspector2 Scan" for a resource's initial scan and one "Inspector2 Finding" per finding created, updated or
  # closed; it sends both for EC2 instances and Lambda functions too, so each Inspector rule keeps ECR images
  # only: a scan event by the resource it names (top-level `resources`, an ECR repository ARN, where an EC2 event
  # has the instance id and a Lambda event the function ARN), a finding event by its resource type.
  report_event_patterns = {
    ecr_image_scan = {
      source        = ["aws.ecr"]
      "detail-type" = ["ECR Image Scan"]
      detail        = { "scan-status" = var.notify_on_scan_failure ? ["COMPLETE", "FAILED"] : ["COMPLETE"] }
    }
    inspector2_scan = {
      source        = ["aws.inspector2"]
      "detail-type" = ["Inspector2 Scan"]
      resources     = [{ prefix = "arn:${local.partition}:ecr:" }]
      detail        = { "scan-status" = ["INITIAL_SCAN_COMPLETE"] }
    }
    inspector2_finding = {
      source        = ["aws.inspector2"]
      "detail-type" = ["Inspector2 Finding"]
      detail        = { resources = { type = ["AWS_ECR_CONTAINER_IMAGE"] } }
    }
    # ECR sends "ECR Image Action" when an image is pushed or deleted; a deletion makes the findings ledger forget
    # the image (docs/architecture.md, "Images deleted from the registry"), so only with the ledger.
    ecr_image_delete = {
      source        = ["aws.ecr"]
      "detail-type" = ["ECR Image Action"]
      detail        = { "action-type" = ["DELETE"], result = ["SUCCESS"] }
    }
  }

  # The Inspector rules exist only with enhanced scanning; finding events then by default (enhanced_finding_events
  # null), since the initial scan event alone misses every finding a later rescan brings.
  inspector_finding_events = var.enhanced_scanning && (var.enhanced_finding_events == null ? true : var.enhanced_finding_events)
  report_rule_enabled = {
    ecr_image_scan     = true
    inspector2_scan    = var.enhanced_scanning
    inspector2_finding = local.inspector_finding_events
    ecr_image_delete   = local.ledger_enabled
  }
  report_rules     = { for key, pattern in local.report_event_patterns : key => pattern if local.report_rule_enabled[key] }
  report_rule_arns = [for key in sort(keys(local.report_rules)) : local.rule_arns[key]]

  report_rule_descriptions = {
    ecr_image_scan     = "ecr-scan-reporter: ECR basic scan results to the report queue."
    inspector2_scan    = "ecr-scan-reporter: Inspector initial enhanced scan results to the report queue."
    inspector2_finding = "ecr-scan-reporter: Inspector finding changes (enhanced scanning) to the report queue."
    ecr_image_delete   = "ecr-scan-reporter: ECR image deletions to the report queue, for the findings ledger to forget."
  }

  # Layers of the functions that run the reporters (report-findings, send-digests): the custom reporters' (once
  # each), then the template overrides.
  custom_reporter_layers = distinct([for reporter in local.custom_reporters : reporter.layer_arn])
  report_findings_layers = concat(local.custom_reporter_layers, var.templates_layer_arn == null ? [] : [var.templates_layer_arn])
  # Layers are mounted under /opt: reporter packages in nodejs/node_modules, templates in ecr-scan-reporter/.
  reporter_layer_environment = merge(
    length(local.custom_reporters) == 0 ? {} : { ECR_SCAN_REPORTER_REPORTERS_PATH = "/opt/nodejs/node_modules" },
    var.templates_layer_arn == null ? {} : { ECR_SCAN_REPORTER_TEMPLATES_PATH = "/opt/ecr-scan-reporter/templates" },
  )
}

resource "aws_sqs_queue" "report_dlq" {
  name                      = local.queue_names.report_dlq
  message_retention_seconds = local.dlq_retention_s
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.queue_arns.report]
  })

  tags = local.tags
}

resource "aws_sqs_queue" "report" {
  name                       = local.queue_names.report
  message_retention_seconds  = local.queue_retention_s
  visibility_timeout_seconds = 6 * var.report_findings_timeout
  # Inspector writes an image's findings after its events: a delay lets them settle before they are read.
  delay_seconds           = var.report_delay_seconds
  sqs_managed_sse_enabled = var.kms_key_arn == null ? true : null
  kms_master_key_id       = var.kms_key_arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.report_dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = local.tags

  lifecycle {
    # As the scan queue's: a message's delay plus every receive must fit in the retention, or a failing report
    # expires instead of reaching the DLQ. report-findings re-sends messages with delays of its own, so the bound
    # takes the longest delay SQS allows (900 s, SendMessage DelaySeconds) rather than the queue's.
    precondition {
      condition     = 900 + var.max_receive_count * 6 * var.report_findings_timeout < local.queue_retention_s
      error_message = "A failing report would expire before reaching its DLQ: a delay of up to 900 s and max_receive_count (${var.max_receive_count}) receives of ${6 * var.report_findings_timeout} s each (6 × report_findings_timeout) outlast the queue's retention of ${local.queue_retention_s} s. Lower max_receive_count or report_findings_timeout."
    }
  }
}

resource "aws_cloudwatch_event_rule" "report" {
  for_each = local.report_rules

  name          = local.rule_names[each.key]
  description   = local.report_rule_descriptions[each.key]
  event_pattern = jsonencode(each.value)

  tags = local.tags
}

# An event EventBridge could not deliver (a queue or key policy that refuses it) goes to the report DLQ as it
# is: redriven from there to the report queue, it is reported like any other.
resource "aws_cloudwatch_event_target" "report" {
  for_each = aws_cloudwatch_event_rule.report

  rule      = each.value.name
  target_id = "report-queue"
  arn       = aws_sqs_queue.report.arn

  retry_policy {
    maximum_event_age_in_seconds = local.event_retry_max_age_s
    maximum_retry_attempts       = local.event_retry_max_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.report_dlq.arn
  }
}

# EventBridge may send to the report queue only for this module's rules.
resource "aws_sqs_queue_policy" "report" {
  queue_url = aws_sqs_queue.report.id

  # Checked here, on the one policy every rule feeds, not on the rules: a precondition of a resource with
  # for_each would say it once per rule.
  lifecycle {
    precondition {
      condition     = var.enhanced_finding_events != true || var.enhanced_scanning
      error_message = "enhanced_finding_events = true needs enhanced_scanning = true: Inspector2 Finding events exist only for a registry on enhanced scanning (and reading their findings needs the permission enhanced_scanning grants)."
    }
  }

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowScanEventRules"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.queue_arns.report
      Condition = {
        ArnEquals = { "aws:SourceArn" = local.report_rule_arns }
      }
    }]
  })
}

# EventBridge may dead-letter the events of the same rules, and only those.
resource "aws_sqs_queue_policy" "report_dlq" {
  queue_url = aws_sqs_queue.report_dlq.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowScanEventRuleDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.queue_arns.report_dlq
      Condition = {
        ArnEquals = { "aws:SourceArn" = local.report_rule_arns }
      }
    }]
  })
}

resource "aws_cloudwatch_log_group" "report_findings" {
  name              = local.log_group_names.report_findings
  retention_in_days = var.log_retention_days
  kms_key_id        = local.log_kms_key_arn

  tags = local.tags
}

resource "aws_lambda_function" "report_findings" {
  function_name = local.function_names.report_findings
  description   = "ecr-scan-reporter: reads an image's scan findings and sends the report to the reporters."
  role          = aws_iam_role.report_findings.arn

  filename         = local.bundles.report_findings
  source_code_hash = filebase64sha256(local.bundles.report_findings)
  handler          = "index.handler"
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = var.report_findings_memory_size
  timeout          = var.report_findings_timeout
  kms_key_arn      = var.kms_key_arn
  layers           = local.report_findings_layers

  environment {
    variables = merge(
      local.common_environment,
      local.ledger_environment,
      {
        POWERTOOLS_SERVICE_NAME = "report-findings"
        REPORT_QUEUE_URL        = aws_sqs_queue.report.url
        REPORT_DLQ_URL          = aws_sqs_queue.report_dlq.url
      },
      local.reporter_layer_environment,
    )
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.report_findings.name
  }

  dynamic "vpc_config" {
    for_each = local.vpc_configs
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  dynamic "tracing_config" {
    for_each = local.tracing_modes
    content {
      mode = tracing_config.value
    }
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy.report_findings]

  lifecycle {
    # Checked once, here: send-digests has the same layers.
    precondition {
      condition     = length(local.report_findings_layers) <= 5
      error_message = "report-findings would have ${length(local.report_findings_layers)} layers; Lambda allows 5. Ship several custom reporters in one layer, or the templates in a reporter layer."
    }
  }
}

resource "aws_lambda_event_source_mapping" "report" {
  event_source_arn                   = aws_sqs_queue.report.arn
  function_name                      = aws_lambda_function.report_findings.arn
  batch_size                         = local.report_batch_size
  maximum_batching_window_in_seconds = local.report_batching_window_s
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.report_max_concurrency
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy.report_findings]
}
