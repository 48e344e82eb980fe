# What the queues must satisfy so that every message ends in its consumer or in its dead-letter queue, never
# expired on the way. A message that fails is received again once its visibility timeout has passed, and SQS moves
# it to the DLQ after maxReceiveCount receives: so it may wait in its queue its delay plus maxReceiveCount
# visibility timeouts, and the queue must keep it longer than that: the module's own preconditions on both queues
# say so for every plan (scanner.tf, reporter.tf; tests/validation.tftest.hcl trips them), so the runs here, which
# plan, hold it too. What these runs check besides. AWS's rules relied on:
# - Lambda Developer Guide, "Creating and configuring an Amazon SQS event source mapping": the function's timeout
#   must not exceed the queue's visibility timeout (Lambda refuses the mapping), and should be at most a sixth of it
#   so that a throttled batch can be retried; partial batch responses need ReportBatchItemFailures.
# - SQS Developer Guide, "Setting-up dead-letter queue retention": a message moved to a standard queue's DLQ keeps
#   its enqueue timestamp, so the DLQ's retention must be longer than its source's.
# - SQS API Reference, CreateQueue: MessageRetentionPeriod from 60 s to 1,209,600 s (14 days); VisibilityTimeout
#   up to 43,200 s. Lambda API Reference, CreateEventSourceMapping: a batch of more than 10 SQS messages needs a
#   batching window of at least 1 s. An attribute left unset (the scan queue's delay) has SQS's default: 0.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Each queue and consumer its own ARN at plan time, so that the wiring between them can be told apart.
override_resource {
  target          = aws_sqs_queue.scan
  override_during = plan
  values          = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-scan", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-scan", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-scan" }
}
override_resource {
  target          = aws_sqs_queue.scan_dlq
  override_during = plan
  values          = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-scan-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-scan-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-scan-dlq" }
}
override_resource {
  target          = aws_sqs_queue.report
  override_during = plan
  values          = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-report", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report" }
}
override_resource {
  target          = aws_sqs_queue.report_dlq
  override_during = plan
  values          = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-report-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report-dlq" }
}
override_resource {
  target          = aws_lambda_function.scan_images
  override_during = plan
  values          = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:ecr-scan-reporter-scan-images" }
}
override_resource {
  target          = aws_lambda_function.report_findings
  override_during = plan
  values          = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:ecr-scan-reporter-report-findings" }
}

run "default_queues" {
  command = plan

  assert {
    condition = (aws_sqs_queue.scan_dlq.message_retention_seconds > aws_sqs_queue.scan.message_retention_seconds
    && aws_sqs_queue.report_dlq.message_retention_seconds > aws_sqs_queue.report.message_retention_seconds)
    error_message = "Each DLQ keeps messages longer than its source queue: they keep their enqueue time when dead-lettered."
  }

  assert {
    condition = alltrue([for queue in [aws_sqs_queue.scan, aws_sqs_queue.scan_dlq, aws_sqs_queue.report, aws_sqs_queue.report_dlq, aws_sqs_queue.schedule_dlq] :
      queue.message_retention_seconds >= 60 && queue.message_retention_seconds <= 1209600
    ])
    error_message = "Retention periods from 60 s to 14 days: SQS refuses others."
  }

  assert {
    condition = (jsondecode(aws_sqs_queue.scan.redrive_policy).deadLetterTargetArn == aws_sqs_queue.scan_dlq.arn
      && jsondecode(aws_sqs_queue.report.redrive_policy).deadLetterTargetArn == aws_sqs_queue.report_dlq.arn
      && jsondecode(aws_sqs_queue.scan.redrive_policy).maxReceiveCount >= 1
    && jsondecode(aws_sqs_queue.report.redrive_policy).maxReceiveCount >= 1)
    error_message = "Each queue dead-letters into its own DLQ after at least one receive."
  }

  assert {
    condition = (jsondecode(aws_sqs_queue.scan_dlq.redrive_allow_policy) == { redrivePermission = "byQueue", sourceQueueArns = [aws_sqs_queue.scan.arn] }
    && jsondecode(aws_sqs_queue.report_dlq.redrive_allow_policy) == { redrivePermission = "byQueue", sourceQueueArns = [aws_sqs_queue.report.arn] })
    error_message = "Each DLQ takes the messages of its source queue only (and can redrive them back there)."
  }

  assert {
    condition = (aws_lambda_event_source_mapping.scan.event_source_arn == aws_sqs_queue.scan.arn
      && aws_lambda_event_source_mapping.scan.function_name == aws_lambda_function.scan_images.arn
      && aws_lambda_event_source_mapping.report.event_source_arn == aws_sqs_queue.report.arn
    && aws_lambda_event_source_mapping.report.function_name == aws_lambda_function.report_findings.arn)
    error_message = "The scan queue feeds scan-images; the report queue feeds report-findings."
  }

  assert {
    condition = (aws_sqs_queue.scan.visibility_timeout_seconds >= 6 * aws_lambda_function.scan_images.timeout
    && aws_sqs_queue.report.visibility_timeout_seconds >= 6 * aws_lambda_function.report_findings.timeout)
    error_message = "Each queue hides a received message at least six times its consumer's timeout (scan: ${aws_sqs_queue.scan.visibility_timeout_seconds} s for ${aws_lambda_function.scan_images.timeout} s; report: ${aws_sqs_queue.report.visibility_timeout_seconds} s for ${aws_lambda_function.report_findings.timeout} s)."
  }

  # The handlers return the messages that failed in batchItemFailures: without ReportBatchItemFailures Lambda would
  # ignore that list and delete the whole batch as processed.
  assert {
    condition = (contains(aws_lambda_event_source_mapping.scan.function_response_types, "ReportBatchItemFailures")
    && contains(aws_lambda_event_source_mapping.report.function_response_types, "ReportBatchItemFailures"))
    error_message = "Both mappings hand the failed messages of a batch back to their queue, and only those."
  }

  assert {
    condition = alltrue([for mapping in [aws_lambda_event_source_mapping.scan, aws_lambda_event_source_mapping.report] :
      mapping.batch_size <= 10 || coalesce(mapping.maximum_batching_window_in_seconds, 0) >= 1
    ])
    error_message = "A mapping that takes more than 10 messages a batch gathers them for at least 1 s."
  }
}

# The slowest consumers Lambda allows (900 s: visibility timeouts of 90 minutes), the longest report delay SQS
# allows, and 50 receives (with these timeouts, more than 63 would outlast the queues' retention).
run "slowest_consumers_and_most_receives" {
  command = plan

  variables {
    scan_images_timeout     = 900
    report_findings_timeout = 900
    report_delay_seconds    = 900
    max_receive_count       = 50
  }

  assert {
    condition = (aws_sqs_queue.scan_dlq.message_retention_seconds > aws_sqs_queue.scan.message_retention_seconds
    && aws_sqs_queue.report_dlq.message_retention_seconds > aws_sqs_queue.report.message_retention_seconds)
    error_message = "Each DLQ keeps messages longer than its source queue: they keep their enqueue time when dead-lettered."
  }

  assert {
    condition = alltrue([for queue in [aws_sqs_queue.scan, aws_sqs_queue.report] :
      queue.visibility_timeout_seconds <= 43200 && jsondecode(queue.redrive_policy).maxReceiveCount == var.max_receive_count
    ])
    error_message = "The visibility timeouts stay within SQS's 12 hours, and both queues dead-letter after max_receive_count receives."
  }

  assert {
    condition = (aws_sqs_queue.scan.visibility_timeout_seconds >= 6 * aws_lambda_function.scan_images.timeout
      && aws_sqs_queue.report.visibility_timeout_seconds >= 6 * aws_lambda_function.report_findings.timeout
    && aws_lambda_function.scan_images.timeout == var.scan_images_timeout && aws_lambda_function.report_findings.timeout == var.report_findings_timeout)
    error_message = "The visibility timeouts follow the consumers' timeouts: at least six times each (scan: ${aws_sqs_queue.scan.visibility_timeout_seconds} s for ${aws_lambda_function.scan_images.timeout} s; report: ${aws_sqs_queue.report.visibility_timeout_seconds} s for ${aws_lambda_function.report_findings.timeout} s)."
  }
}
