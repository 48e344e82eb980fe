# The scan path: the scan queue (+DLQ) feeds scan-images, which plans and starts the basic scans of a repository.

resource "aws_sqs_queue" "scan_dlq" {
  name                      = local.queue_names.scan_dlq
  message_retention_seconds = local.dlq_retention_s
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn

  # Only the scan queue may move messages here (its ARN written out: the scan queue refers to this one).
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.queue_arns.scan]
  })

  tags = local.tags
}

resource "aws_sqs_queue" "scan" {
  name                      = local.queue_names.scan
  message_retention_seconds = local.queue_retention_s
  # AWS: at least 6 times the consuming function's timeout, so a message is not received again while a retried
  # invocation may still be working on it.
  visibility_timeout_seconds = 6 * var.scan_images_timeout
  sqs_managed_sse_enabled    = var.kms_key_arn == null ? true : null
  kms_master_key_id          = var.kms_key_arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.scan_dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = local.tags

  lifecycle {
    # A failing message is received again after each visibility timeout; SQS deletes it when the retention ends,
    # so the queue must keep it through every receive or it expires instead of reaching the DLQ.
    precondition {
      condition     = var.max_receive_count * 6 * var.scan_images_timeout < local.queue_retention_s
      error_message = "A failing scan message would expire before reaching its DLQ: max_receive_count (${var.max_receive_count}) receives of ${6 * var.scan_images_timeout} s each (6 × scan_images_timeout) outlast the queue's retention of ${local.queue_retention_s} s. Lower max_receive_count or scan_images_timeout."
    }
  }
}

resource "aws_cloudwatch_log_group" "scan_images" {
  name              = local.log_group_names.scan_images
  retention_in_days = var.log_retention_days
  kms_key_id        = local.log_kms_key_arn

  tags = local.tags
}

resource "aws_lambda_function" "scan_images" {
  function_name = local.function_names.scan_images
  description   = "ecr-scan-reporter: plans and starts the basic scans of one repository's images."
  role          = aws_iam_role.scan_images.arn

  filename         = local.bundles.scan_images
  source_code_hash = filebase64sha256(local.bundles.scan_images)
  handler          = "index.handler"
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = var.scan_images_memory_size
  timeout          = var.scan_images_timeout
  kms_key_arn      = var.kms_key_arn

  environment {
    variables = merge(local.common_environment, local.ledger_environment, {
      POWERTOOLS_SERVICE_NAME = "scan-images"
      SCAN_DLQ_URL            = aws_sqs_queue.scan_dlq.url
    })
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.scan_images.name
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

  depends_on = [aws_iam_role_policy.scan_images]
}

resource "aws_lambda_event_source_mapping" "scan" {
  event_source_arn        = aws_sqs_queue.scan.arn
  function_name           = aws_lambda_function.scan_images.arn
  batch_size              = local.scan_batch_size
  function_response_types = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.scan_max_concurrency == null ? [] : [var.scan_max_concurrency]
    content {
      maximum_concurrency = scaling_config.value
    }
  }

  tags = local.tags

  # Lambda checks the role's SQS permissions when the mapping is created.
  depends_on = [aws_iam_role_policy.scan_images]
}
