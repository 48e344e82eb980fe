output "schedule_scans_function_name" {
  description = "Name of the schedule-scans function."
  value       = aws_lambda_function.schedule_scans.function_name
}

output "schedule_scans_function_arn" {
  description = "ARN of the schedule-scans function."
  value       = aws_lambda_function.schedule_scans.arn
}

output "scan_images_function_name" {
  description = "Name of the scan-images function."
  value       = aws_lambda_function.scan_images.function_name
}

output "scan_images_function_arn" {
  description = "ARN of the scan-images function."
  value       = aws_lambda_function.scan_images.arn
}

output "report_findings_function_name" {
  description = "Name of the report-findings function."
  value       = aws_lambda_function.report_findings.function_name
}

output "report_findings_function_arn" {
  description = "ARN of the report-findings function."
  value       = aws_lambda_function.report_findings.arn
}

output "send_digests_function_name" {
  description = "Name of the send-digests function; null without digests (digest_schedule_expression = null or ledger_enabled = false)."
  value       = local.digests_enabled ? aws_lambda_function.send_digests[0].function_name : null
}

output "send_digests_function_arn" {
  description = "ARN of the send-digests function; null without digests."
  value       = local.digests_enabled ? aws_lambda_function.send_digests[0].arn : null
}

output "scan_queue_url" {
  description = "URL of the scan queue (one message per repository to scan)."
  value       = aws_sqs_queue.scan.url
}

output "scan_queue_arn" {
  description = "ARN of the scan queue."
  value       = aws_sqs_queue.scan.arn
}

output "scan_dlq_url" {
  description = "URL of the scan queue's dead-letter queue."
  value       = aws_sqs_queue.scan_dlq.url
}

output "scan_dlq_arn" {
  description = "ARN of the scan queue's dead-letter queue."
  value       = aws_sqs_queue.scan_dlq.arn
}

output "report_queue_url" {
  description = "URL of the report queue (scan events from EventBridge, targeted retries)."
  value       = aws_sqs_queue.report.url
}

output "report_queue_arn" {
  description = "ARN of the report queue."
  value       = aws_sqs_queue.report.arn
}

output "report_dlq_url" {
  description = "URL of the report queue's dead-letter queue (also of scan events EventBridge could not deliver to the report queue)."
  value       = aws_sqs_queue.report_dlq.url
}

output "report_dlq_arn" {
  description = "ARN of the report queue's dead-letter queue."
  value       = aws_sqs_queue.report_dlq.arn
}

output "schedule_dlq_url" {
  description = "URL of the schedule's dead-letter queue: scheduled events EventBridge could not deliver to schedule-scans, and the records of runs that failed after Lambda's retries."
  value       = aws_sqs_queue.schedule_dlq.url
}

output "schedule_dlq_arn" {
  description = "ARN of the schedule's dead-letter queue."
  value       = aws_sqs_queue.schedule_dlq.arn
}

output "digest_dlq_url" {
  description = "URL of the digests' dead-letter queue: digest schedule events EventBridge could not deliver to send-digests, and the records of digest runs that failed after Lambda's retries; null without digests."
  value       = local.digests_enabled ? aws_sqs_queue.digest_dlq[0].url : null
}

output "digest_dlq_arn" {
  description = "ARN of the digests' dead-letter queue; null without digests."
  value       = local.digests_enabled ? aws_sqs_queue.digest_dlq[0].arn : null
}

output "sns_topic_arn" {
  description = "ARN of the SNS reporter's topic (created or given); null when the sns reporter is not enabled."
  value       = local.sns_create_topic ? aws_sns_topic.findings[0].arn : local.sns_topic_arn
}

output "ledger_table_name" {
  description = "Name of the findings ledger's DynamoDB table (what the functions get as LEDGER_TABLE_NAME); null when ledger_enabled is false."
  value       = local.ledger_enabled ? aws_dynamodb_table.ledger[0].name : null
}

output "ledger_table_arn" {
  description = "ARN of the findings ledger's DynamoDB table; null when ledger_enabled is false."
  value       = local.ledger_enabled ? aws_dynamodb_table.ledger[0].arn : null
}

output "schedule_scans_role_arn" {
  description = "ARN of the schedule-scans function's role."
  value       = aws_iam_role.schedule_scans.arn
}

output "scan_images_role_arn" {
  description = "ARN of the scan-images function's role."
  value       = aws_iam_role.scan_images.arn
}

output "report_findings_role_arn" {
  description = "ARN of the report-findings function's role."
  value       = aws_iam_role.report_findings.arn
}

output "send_digests_role_arn" {
  description = "ARN of the send-digests function's role; null without digests."
  value       = local.digests_enabled ? aws_iam_role.send_digests[0].arn : null
}

output "schedule_rule_name" {
  description = "Name of the EventBridge rule that runs schedule-scans."
  value       = aws_cloudwatch_event_rule.schedule.name
}

output "digest_rule_name" {
  description = "Name of the EventBridge rule that runs send-digests; null without digests."
  value       = local.digests_enabled ? aws_cloudwatch_event_rule.digests[0].name : null
}

output "report_rule_names" {
  description = "Names of the EventBridge rules that route events to the report queue, by kind: ecr_image_scan, with enhanced_scanning inspector2_scan and inspector2_finding, and with the ledger ecr_image_delete."
  value       = { for key, rule in aws_cloudwatch_event_rule.report : key => rule.name }
}

output "config_parameter_name" {
  description = "Name of the SSM parameter holding the configuration document when it is too large for the functions' environment; null otherwise."
  value       = local.config_in_parameter ? aws_ssm_parameter.config[0].name : null
}

output "config_document" {
  description = "The configuration document (JSON) the functions run with."
  value       = local.config_json

  precondition {
    condition     = length(local.invalid_regex_inputs) == 0
    error_message = local.invalid_regex_message
  }
}

output "function_role_arns" {
  description = "ARNs of the deployed functions' roles, by function (schedule_scans, scan_images, report_findings and, with digests, send_digests): the hub_role_arns of terraform/modules/member-account, whose role trusts exactly these. Known at plan time; a member module that uses them is applied after the roles exist."
  value       = local.function_role_arns

  # IAM refuses a trust policy that names a role which does not exist yet: a member module applied in the same run
  # waits for the roles.
  depends_on = [aws_iam_role.schedule_scans, aws_iam_role.scan_images, aws_iam_role.report_findings, aws_iam_role.send_digests]
}
