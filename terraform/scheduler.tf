# The schedule: an EventBridge rule runs schedule-scans, which queues one message per repository on the scan queue.

resource "aws_cloudwatch_log_group" "schedule_scans" {
  name              = local.log_group_names.schedule_scans
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

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

  environment {
    variables = merge(local.common_environment, {
      POWERTOOLS_SERVICE_NAME = "schedule-scans"
      SCAN_QUEUE_URL          = aws_sqs_queue.scan.url
    })
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.schedule_scans.name
  }

  tags = local.tags

  # The role's policy must exist before the first scheduled run.
  depends_on = [aws_iam_role_policy.schedule_scans]

  lifecycle {
    # The plan-time estimate keeps the document in the environment only when it surely fits; this catches a
    # document that config_storage = "environment" forces there although it does not.
    precondition {
      condition     = local.config_in_parameter || length(local.config_json) <= 3500
      error_message = "The configuration document has ${length(local.config_json)} characters, too many for Lambda's 4 KB environment: set config_storage = \"parameter\" (or \"auto\")."
    }
  }
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
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "AllowScheduleRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.schedule_scans.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}
