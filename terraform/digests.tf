# The digests: an EventBridge schedule (digest_schedule_expression, Mondays at 08:00 UTC by default) runs
# send-digests, which builds each route's digest from the findings ledger and sends it through that route's
# reporter, once per period (a retried or doubled invocation sends nothing twice: the function claims each send in
# the ledger). As for the rescan schedule (scheduler.tf), a run that never starts or that fails after Lambda's
# retries lands in a DLQ, the digests' own: the rule's event when EventBridge could not invoke the function,
# Lambda's invocation record when the function failed. Without digests (digest_schedule_expression = null, or no
# ledger to build them from) none of this exists.

locals {
  digests_enabled = var.digest_schedule_expression != null && local.ledger_enabled
}

resource "aws_cloudwatch_log_group" "send_digests" {
  count = local.digests_enabled ? 1 : 0

  name              = local.log_group_names.send_digests
  retention_in_days = var.log_retention_days
  kms_key_id        = local.log_kms_key_arn

  tags = local.tags
}

resource "aws_lambda_function" "send_digests" {
  count = local.digests_enabled ? 1 : 0

  function_name = local.function_names.send_digests
  description   = "ecr-scan-reporter: sends each route's periodic digest of the registry's findings to its reporter."
  role          = aws_iam_role.send_digests[0].arn

  filename         = local.bundles.send_digests
  source_code_hash = filebase64sha256(local.bundles.send_digests)
  handler          = "index.handler"
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = var.send_digests_memory_size
  timeout          = var.send_digests_timeout
  kms_key_arn      = var.kms_key_arn
  # It runs the same reporters as report-findings, custom ones and template overrides included (the number of
  # layers is checked on report-findings).
  layers = local.report_findings_layers

  environment {
    variables = merge(
      local.common_environment,
      local.ledger_environment,
      { POWERTOOLS_SERVICE_NAME = "send-digests" },
      local.reporter_layer_environment,
    )
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.send_digests[0].name
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

  depends_on = [aws_iam_role_policy.send_digests]
}

# Asynchronous invocations (EventBridge's) that still fail after Lambda's two retries are recorded in the digest DLQ.
# A retry sends only the digests the failed run did not (each send is claimed in the ledger).
resource "aws_lambda_function_event_invoke_config" "send_digests" {
  count = local.digests_enabled ? 1 : 0

  function_name          = aws_lambda_function.send_digests[0].function_name
  maximum_retry_attempts = 2

  destination_config {
    on_failure {
      destination = aws_sqs_queue.digest_dlq[0].arn
    }
  }

  # Lambda sends to the destination with the function's role, and checks that it may.
  depends_on = [aws_iam_role_policy.send_digests]
}

resource "aws_sqs_queue" "digest_dlq" {
  count = local.digests_enabled ? 1 : 0

  name                      = local.queue_names.digest_dlq
  message_retention_seconds = local.dlq_retention_s
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn

  # Not a dead-letter queue of another queue: what lands here is for an operator to read, not to redrive.
  redrive_allow_policy = jsonencode({ redrivePermission = "denyAll" })

  tags = local.tags
}

# EventBridge may send the digest schedule's events that it could not deliver, and only those.
resource "aws_sqs_queue_policy" "digest_dlq" {
  count = local.digests_enabled ? 1 : 0

  queue_url = aws_sqs_queue.digest_dlq[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowDigestRuleDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.queue_arns.digest_dlq
      Condition = { ArnEquals = { "aws:SourceArn" = local.rule_arns.digests } }
    }]
  })
}

resource "aws_cloudwatch_event_rule" "digests" {
  count = local.digests_enabled ? 1 : 0

  name                = local.rule_names.digests
  description         = "ecr-scan-reporter: runs send-digests."
  schedule_expression = var.digest_schedule_expression

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "digests" {
  count = local.digests_enabled ? 1 : 0

  rule      = aws_cloudwatch_event_rule.digests[0].name
  target_id = "send-digests"
  arn       = aws_lambda_function.send_digests[0].arn

  retry_policy {
    maximum_event_age_in_seconds = local.event_retry_max_age_s
    maximum_retry_attempts       = local.event_retry_max_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.digest_dlq[0].arn
  }
}

resource "aws_lambda_permission" "digests" {
  count = local.digests_enabled ? 1 : 0

  statement_id  = "AllowDigestRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.send_digests[0].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.digests[0].arn
}
