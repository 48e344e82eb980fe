# The schedule: an EventBridge rule runs schedule-scans, which queues one message per repository on the scan queue
# and, with the ledger, one report on the report queue per image in use that has a CVE id newly on CISA's KEV catalog.
# A run that never starts or fails after Lambda's retries lands in the schedule DLQ: the rule's event when
# EventBridge could not invoke the function, Lambda's invocation record when the function failed.

resource "aws_cloudwatch_log_group" "schedule_scans" {
  name              = local.log_group_names.schedule_scans
  retention_in_days = var.log_retention_days
  kms_key_id        = local.log_kms_key_arn

  tags = local.tags
}

resource "aws_lambda_function" "schedule_scans" {
  function_name = local.function_names.schedule_scans
  description   = "ecr-scan-reporter: lists the ECR repositories and queues one scan message per repository."
  role          = aws_iam_role.schedule_scans.arn

  filename         = local.bundles.schedule_scans
  source_code_hash = filebase64sha256(local.bundles.schedule_scans)
  handler          = "index.handler"
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = var.schedule_scans_memory_size
  timeout          = var.schedule_scans_timeout
  kms_key_arn      = var.kms_key_arn

  # With the ledger, the KEV step: the table, and the report queue its escalations go to.
  environment {
    variables = merge(
      local.common_environment,
      local.ledger_environment,
      {
        POWERTOOLS_SERVICE_NAME = "schedule-scans"
        SCAN_QUEUE_URL          = aws_sqs_queue.scan.url
      },
      local.ledger_enabled ? { REPORT_QUEUE_URL = aws_sqs_queue.report.url } : {},
    )
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.schedule_scans.name
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

  # The role's policy must exist before the first scheduled run (and, in a VPC, before Lambda creates the ENIs).
  depends_on = [aws_iam_role_policy.schedule_scans]

  lifecycle {
    # The plan-time estimate keeps the document in the environment only when it surely fits; this catches a
    # document that config_storage = "environment" forces there although it does not.
    precondition {
      condition     = local.config_in_parameter || local.config_bytes <= 3500
      error_message = "The configuration document has ${local.config_bytes} bytes, too many for Lambda's 4 KB environment: set config_storage = \"parameter\" (or \"auto\")."
    }

    # Checked once, here: the functions share the VPC settings.
    precondition {
      condition     = (length(var.vpc_subnet_ids) == 0) == (length(var.vpc_security_group_ids) == 0)
      error_message = "vpc_subnet_ids and vpc_security_group_ids go together: give both to attach the functions to a VPC, or neither."
    }
  }
}

# Asynchronous invocations (EventBridge's) that still fail after Lambda's two retries are recorded in the DLQ.
resource "aws_lambda_function_event_invoke_config" "schedule_scans" {
  function_name          = aws_lambda_function.schedule_scans.function_name
  maximum_retry_attempts = 2

  destination_config {
    on_failure {
      destination = aws_sqs_queue.schedule_dlq.arn
    }
  }

  # Lambda sends to the destination with the function's role, and checks that it may.
  depends_on = [aws_iam_role_policy.schedule_scans]
}

resource "aws_sqs_queue" "schedule_dlq" {
  name                      = local.queue_names.schedule_dlq
  message_retention_seconds = local.dlq_retention_s
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn

  # Not a dead-letter queue of another queue: what lands here is for an operator to read, not to redrive.
  redrive_allow_policy = jsonencode({ redrivePermission = "denyAll" })

  tags = local.tags
}

# EventBridge may send the schedule's events that it could not deliver, and only those.
resource "aws_sqs_queue_policy" "schedule_dlq" {
  queue_url = aws_sqs_queue.schedule_dlq.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowScheduleRuleDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.queue_arns.schedule_dlq
      Condition = { ArnEquals = { "aws:SourceArn" = local.rule_arns.schedule } }
    }]
  })
}

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = local.rule_names.schedule
  description         = "ecr-scan-reporter: runs schedule-scans."
  schedule_expression = var.schedule_expression

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  rule      = aws_cloudwatch_event_rule.schedule.name
  target_id = "schedule-scans"
  arn       = aws_lambda_function.schedule_scans.arn

  retry_policy {
    maximum_event_age_in_seconds = local.event_retry_max_age_s
    maximum_retry_attempts       = local.event_retry_max_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.schedule_dlq.arn
  }
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "AllowScheduleRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.schedule_scans.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}
