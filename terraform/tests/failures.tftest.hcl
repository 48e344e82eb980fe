# Failures are never silent: what EventBridge cannot deliver, and the scheduled runs that fail, land in a
# dead-letter queue; optional alarms watch every DLQ and every function. (The digests' own wiring to their DLQ:
# digests.tftest.hcl.)

mock_provider "aws" {
  source = "./tests/mocks"
}

# Applied, so that queue ARNs are known; each queue gets its own.
run "undeliverable_events_are_dead_lettered" {
  command = apply

  variables {
    enhanced_scanning = true
  }

  override_resource {
    target = aws_sqs_queue.report_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-report-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report-dlq" }
  }
  override_resource {
    target = aws_sqs_queue.schedule_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-schedule-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-schedule-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-schedule-dlq" }
  }

  assert {
    condition = alltrue([for target in concat([aws_cloudwatch_event_target.schedule, aws_cloudwatch_event_target.digests[0]], values(aws_cloudwatch_event_target.report)) :
      length(target.retry_policy) == 1 && target.retry_policy[0].maximum_retry_attempts > 0 && target.retry_policy[0].maximum_event_age_in_seconds <= 86400
    ])
    error_message = "Every EventBridge target retries, within EventBridge's 24 hours."
  }

  assert {
    condition = (aws_cloudwatch_event_target.schedule.dead_letter_config[0].arn == aws_sqs_queue.schedule_dlq.arn
    && alltrue([for target in aws_cloudwatch_event_target.report : target.dead_letter_config[0].arn == aws_sqs_queue.report_dlq.arn]))
    error_message = "A schedule event that cannot be delivered goes to the schedule DLQ; a scan event to the report DLQ, from which it can be redriven to the report queue."
  }

  # The DLQ's policy must let EventBridge send, for exactly the rules that dead-letter there.
  assert {
    condition = alltrue([for statement in jsondecode(aws_sqs_queue_policy.schedule_dlq.policy).Statement :
      statement.Effect == "Allow" && statement.Principal == { Service = "events.amazonaws.com" } && statement.Action == "sqs:SendMessage"
      && statement.Resource == aws_sqs_queue.schedule_dlq.arn
      && toset(flatten([statement.Condition.ArnEquals["aws:SourceArn"]])) == toset(["arn:aws:events:eu-west-1:123456789012:rule/${aws_cloudwatch_event_rule.schedule.name}"])
    ]) && aws_sqs_queue_policy.schedule_dlq.queue_url == aws_sqs_queue.schedule_dlq.url
    error_message = "EventBridge may dead-letter the schedule rule's events into the schedule DLQ, and nothing else may."
  }

  assert {
    condition = alltrue([for statement in jsondecode(aws_sqs_queue_policy.report_dlq.policy).Statement :
      statement.Effect == "Allow" && statement.Principal == { Service = "events.amazonaws.com" } && statement.Action == "sqs:SendMessage"
      && statement.Resource == aws_sqs_queue.report_dlq.arn
      && toset(flatten([statement.Condition.ArnEquals["aws:SourceArn"]])) == toset([for rule in aws_cloudwatch_event_rule.report : "arn:aws:events:eu-west-1:123456789012:rule/${rule.name}"])
    ]) && aws_sqs_queue_policy.report_dlq.queue_url == aws_sqs_queue.report_dlq.url
    error_message = "EventBridge may dead-letter the scan event rules' events into the report DLQ, and nothing else may."
  }

  # schedule-scans is invoked asynchronously: Lambda retries it, then records the failure.
  assert {
    condition = (aws_lambda_function_event_invoke_config.schedule_scans.function_name == aws_lambda_function.schedule_scans.function_name
    && aws_lambda_function_event_invoke_config.schedule_scans.destination_config[0].on_failure[0].destination == aws_sqs_queue.schedule_dlq.arn)
    error_message = "A scheduled run that still fails after Lambda's retries is recorded in the schedule DLQ."
  }

  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.schedule_scans.policy).Statement :
      s.Effect == "Allow" && contains(flatten([s.Action]), "sqs:SendMessage") && contains(flatten([s.Resource]), aws_sqs_queue.schedule_dlq.arn)
    ])
    error_message = "Lambda sends the failure record with schedule-scans' role: it may send to the schedule DLQ."
  }
}

run "no_alarms_by_default" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dead_letters) == 0 && length(aws_cloudwatch_metric_alarm.function_errors) == 0
    error_message = "Without alarm_sns_topic_arn, no alarm."
  }
}

run "alarms_watch_every_dlq_and_function" {
  command = plan

  variables {
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:ops-alarms"
  }

  assert {
    condition = toset([for alarm in aws_cloudwatch_metric_alarm.dead_letters : alarm.dimensions.QueueName]) == toset([
      aws_sqs_queue.scan_dlq.name, aws_sqs_queue.report_dlq.name, aws_sqs_queue.schedule_dlq.name, aws_sqs_queue.digest_dlq[0].name,
    ])
    error_message = "One alarm per dead-letter queue."
  }

  assert {
    condition = alltrue([for alarm in aws_cloudwatch_metric_alarm.dead_letters :
      alarm.namespace == "AWS/SQS" && alarm.metric_name == "ApproximateNumberOfMessagesVisible" && alarm.comparison_operator == "GreaterThanThreshold" && alarm.threshold == 0
    ])
    error_message = "A DLQ alarm goes off as soon as one message is visible in the queue."
  }

  assert {
    condition = toset([for alarm in aws_cloudwatch_metric_alarm.function_errors : alarm.dimensions.FunctionName]) == toset([
      aws_lambda_function.schedule_scans.function_name, aws_lambda_function.scan_images.function_name, aws_lambda_function.report_findings.function_name, aws_lambda_function.send_digests[0].function_name,
    ])
    error_message = "One alarm per function."
  }

  assert {
    condition = alltrue([for alarm in aws_cloudwatch_metric_alarm.function_errors :
      alarm.namespace == "AWS/Lambda" && alarm.metric_name == "Errors" && alarm.comparison_operator == "GreaterThanThreshold" && alarm.threshold == 0
    ])
    error_message = "A function alarm goes off on its first error."
  }

  assert {
    condition = alltrue([for alarm in concat(values(aws_cloudwatch_metric_alarm.dead_letters), values(aws_cloudwatch_metric_alarm.function_errors)) :
      alarm.alarm_actions == toset([var.alarm_sns_topic_arn]) && alarm.ok_actions == toset([var.alarm_sns_topic_arn]) && alarm.treat_missing_data == "notBreaching"
    ])
    error_message = "Every alarm notifies the topic when it goes off and when it clears; no data (an idle queue or function) is not an alarm."
  }
}

run "scan_concurrency" {
  command = plan

  variables {
    scan_max_concurrency = 10
  }

  assert {
    condition     = aws_lambda_event_source_mapping.scan.scaling_config[0].maximum_concurrency == 10
    error_message = "scan_max_concurrency bounds the scan-images invocations of the scan queue's mapping."
  }
}

run "scan_concurrency_unbounded_by_default" {
  command = plan

  assert {
    condition     = length(aws_lambda_event_source_mapping.scan.scaling_config) == 0
    error_message = "By default the scan mapping's concurrency is bounded only by the account's."
  }
}
