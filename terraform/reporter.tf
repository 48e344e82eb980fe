# The report path: scan events reach the report queue (+DLQ) through EventBridge rules; report-findings reads the
# findings of each image and hands the report to the reporters.

locals {
  # ECR basic scans send "ECR Image Scan" (COMPLETE, FAILED); Inspector sends "Inspector2 Scan" for an image's
  # initial enhanced scan and, when enabled, one "Inspector2 Finding" per finding created, updated or closed.
  report_event_patterns = {
    ecr_image_scan = {
      source        = ["aws.ecr"]
      "detail-type" = ["ECR Image Scan"]
      detail        = { "scan-status" = var.notify_on_scan_failure ? ["COMPLETE", "FAILED"] : ["COMPLETE"] }
    }
    inspector2_scan = {
      source        = ["aws.inspector2"]
      "detail-type" = ["Inspector2 Scan"]
      detail        = { "scan-status" = ["INITIAL_SCAN_COMPLETE"] }
    }
    inspector2_finding = {
      source        = ["aws.inspector2"]
      "detail-type" = ["Inspector2 Finding"]
      detail        = { resources = { type = ["AWS_ECR_CONTAINER_IMAGE"] } }
    }
  }
  report_rules = {
    for key, pattern in local.report_event_patterns : key => pattern
    if key != "inspector2_finding" || var.enhanced_finding_events
  }

  report_rule_descriptions = {
    ecr_image_scan     = "ecr-scan-reporter: ECR basic scan results to the report queue."
    inspector2_scan    = "ecr-scan-reporter: Inspector initial enhanced scan results to the report queue."
    inspector2_finding = "ecr-scan-reporter: Inspector finding changes (enhanced scanning) to the report queue."
  }

  # Layers of report-findings: the custom reporters' (once each), then the template overrides.
  custom_reporter_layers = distinct([for reporter in local.custom_reporters : reporter.layer_arn])
  report_findings_layers = concat(local.custom_reporter_layers, var.templates_layer_arn == null ? [] : [var.templates_layer_arn])
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
}

resource "aws_cloudwatch_event_rule" "report" {
  for_each = local.report_rules

  name          = local.rule_names[each.key]
  description   = local.report_rule_descriptions[each.key]
  event_pattern = jsonencode(each.value)

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "report" {
  for_each = aws_cloudwatch_event_rule.report

  rule      = each.value.name
  target_id = "report-queue"
  arn       = aws_sqs_queue.report.arn
}

# EventBridge may send to the report queue only for this module's rules.
resource "aws_sqs_queue_policy" "report" {
  queue_url = aws_sqs_queue.report.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowScanEventRules"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.queue_arns.report
      Condition = {
        ArnEquals = { "aws:SourceArn" = [for key in sort(keys(local.report_rules)) : local.rule_arns[key]] }
      }
    }]
  })
}

resource "aws_cloudwatch_log_group" "report_findings" {
  name              = local.log_group_names.report_findings
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

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
      {
        POWERTOOLS_SERVICE_NAME = "report-findings"
        REPORT_QUEUE_URL        = aws_sqs_queue.report.url
        REPORT_DLQ_URL          = aws_sqs_queue.report_dlq.url
      },
      # Layers are mounted under /opt: reporter packages in nodejs/node_modules, templates in ecr-scan-reporter/.
      length(local.custom_reporters) == 0 ? {} : { ECR_SCAN_REPORTER_REPORTERS_PATH = "/opt/nodejs/node_modules" },
      var.templates_layer_arn == null ? {} : { ECR_SCAN_REPORTER_TEMPLATES_PATH = "/opt/ecr-scan-reporter/templates" },
    )
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.report_findings.name
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy.report_findings]

  lifecycle {
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
