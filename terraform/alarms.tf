# Optional CloudWatch alarms (alarm_sns_topic_arn): a message in any dead-letter queue, or any error of a function,
# notifies the topic, and so does the return to normal. Nothing the module creates fails silently: the queues
# dead-letter what they cannot process, EventBridge what it cannot deliver (scheduler.tf, reporter.tf), Lambda the
# scheduled runs (rescans and digests) that fail.

locals {
  alarms_enabled = var.alarm_sns_topic_arn != null

  # The digests' DLQ, with digests only.
  dead_letter_queues = merge(
    {
      scan_dlq     = aws_sqs_queue.scan_dlq.name
      report_dlq   = aws_sqs_queue.report_dlq.name
      schedule_dlq = aws_sqs_queue.schedule_dlq.name
    },
    local.digests_enabled ? { digest_dlq = aws_sqs_queue.digest_dlq[0].name } : {},
  )
  alarm_names = {
    scan_dlq        = "${var.name_prefix}-scan-dlq-not-empty"
    report_dlq      = "${var.name_prefix}-report-dlq-not-empty"
    schedule_dlq    = "${var.name_prefix}-schedule-dlq-not-empty"
    digest_dlq      = "${var.name_prefix}-digest-dlq-not-empty"
    schedule_scans  = "${var.name_prefix}-schedule-scans-errors"
    scan_images     = "${var.name_prefix}-scan-images-errors"
    report_findings = "${var.name_prefix}-report-findings-errors"
    send_digests    = "${var.name_prefix}-send-digests-errors"
  }
  # Five-minute periods: SQS publishes its metrics every minute at best, and a DLQ message is not urgent to the
  # minute; one breaching period alarms.
  alarm_period_s = 300
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each = local.alarms_enabled ? local.dead_letter_queues : {}

  alarm_name          = local.alarm_names[each.key]
  alarm_description   = "ecr-scan-reporter: messages in ${each.value}, which nothing retries. Read them, fix the cause, then redrive or delete them."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = local.alarm_period_s
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  # An empty, idle queue may publish no datapoint: that is the normal state.
  treat_missing_data = "notBreaching"
  alarm_actions      = [var.alarm_sns_topic_arn]
  ok_actions         = [var.alarm_sns_topic_arn]

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = local.alarms_enabled ? local.deployed_function_names : {}

  alarm_name          = local.alarm_names[each.key]
  alarm_description   = "ecr-scan-reporter: ${each.value} failed (an invocation error or timeout); see its log group."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = local.alarm_period_s
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_sns_topic_arn]
  ok_actions          = [var.alarm_sns_topic_arn]

  tags = local.tags
}
