# The module with its defaults and with its settings changed: how the resources are wired, and that each setting
# reaches what it sets. What the queues must satisfy is in queues.tftest.hcl, which inputs the plan refuses in
# validation.tftest.hcl.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "default_plan" {
  command = plan

  assert {
    condition = alltrue([for pair in [
      [aws_lambda_function.schedule_scans, "dist/schedule-scans.zip"],
      [aws_lambda_function.scan_images, "dist/scan-images.zip"],
      [aws_lambda_function.report_findings, "dist/report-findings.zip"],
      [aws_lambda_function.send_digests[0], "dist/send-digests.zip"],
    ] : endswith(pair[0].filename, pair[1]) && pair[0].source_code_hash == filebase64sha256(pair[1])])
    error_message = "Each function is deployed from its own committed bundle in dist/, with that bundle's hash (a rebuilt bundle is redeployed)."
  }

  assert {
    condition = alltrue([for pair in [
      [aws_lambda_function.schedule_scans, aws_cloudwatch_log_group.schedule_scans],
      [aws_lambda_function.scan_images, aws_cloudwatch_log_group.scan_images],
      [aws_lambda_function.report_findings, aws_cloudwatch_log_group.report_findings],
      [aws_lambda_function.send_digests[0], aws_cloudwatch_log_group.send_digests[0]],
    ] : pair[0].logging_config[0].log_group == pair[1].name])
    error_message = "Each function logs to the log group the module creates for it (with its retention and key), not to one Lambda would create."
  }

  assert {
    condition     = aws_lambda_permission.schedule.principal == "events.amazonaws.com" && aws_lambda_permission.schedule.action == "lambda:InvokeFunction" && aws_lambda_permission.schedule.function_name == aws_lambda_function.schedule_scans.function_name
    error_message = "EventBridge may invoke schedule-scans."
  }

  assert {
    condition = alltrue([for queue in [aws_sqs_queue.scan, aws_sqs_queue.scan_dlq, aws_sqs_queue.report, aws_sqs_queue.report_dlq, aws_sqs_queue.schedule_dlq, aws_sqs_queue.digest_dlq[0]] :
      queue.sqs_managed_sse_enabled == true && queue.kms_master_key_id == null
    ])
    error_message = "Without a KMS key every queue is still encrypted at rest, with SQS-managed SSE."
  }

  assert {
    condition     = length(aws_ssm_parameter.config) == 0 && output.config_parameter_name == null
    error_message = "A small configuration document stays in the environment."
  }

  assert {
    condition     = length(coalesce(aws_lambda_function.report_findings.layers, [])) == 0
    error_message = "Without custom reporters or templates, report-findings has no layers."
  }
}

# Applied against the mock provider: the attributes AWS computes (ARNs, URLs) are known, so the wiring between
# resources can be checked.
run "default_apply" {
  command = apply

  # Each resource its own ARN and URL, so that the assertions below tell them apart.
  override_resource {
    target = aws_sqs_queue.scan
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-scan", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-scan", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-scan" }
  }
  override_resource {
    target = aws_sqs_queue.scan_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-scan-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-scan-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-scan-dlq" }
  }
  override_resource {
    target = aws_sqs_queue.report_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-report-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report-dlq" }
  }
  override_resource {
    target = aws_sqs_queue.report
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-report", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-report" }
  }
  override_resource {
    target = aws_sqs_queue.schedule_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-schedule-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-schedule-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-schedule-dlq" }
  }
  override_resource {
    target = aws_lambda_function.schedule_scans
    values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:ecr-scan-reporter-schedule-scans" }
  }
  override_resource {
    target = aws_sns_topic.findings
    values = { arn = "arn:aws:sns:eu-west-1:123456789012:ecr-scan-reporter-findings" }
  }

  assert {
    condition     = aws_cloudwatch_event_target.schedule.arn == aws_lambda_function.schedule_scans.arn && aws_lambda_permission.schedule.source_arn == aws_cloudwatch_event_rule.schedule.arn
    error_message = "The schedule rule targets schedule-scans, which only that rule may invoke."
  }

  assert {
    condition     = alltrue([for target in aws_cloudwatch_event_target.report : target.arn == aws_sqs_queue.report.arn])
    error_message = "The scan event rules target the report queue."
  }

  assert {
    condition     = aws_sqs_queue_policy.report.queue_url == aws_sqs_queue.report.url
    error_message = "The queue policy is the report queue's."
  }

  assert {
    condition = (aws_lambda_function.schedule_scans.environment[0].variables == tomap({
      ECR_SCAN_REPORTER_CONFIG     = output.config_document
      POWERTOOLS_SERVICE_NAME      = "schedule-scans"
      POWERTOOLS_LOG_LEVEL         = "INFO"
      POWERTOOLS_METRICS_NAMESPACE = "EcrScanReporter"
      SCAN_QUEUE_URL               = aws_sqs_queue.scan.url
      LEDGER_TABLE_NAME            = "ecr-scan-reporter-ledger"
      REPORT_QUEUE_URL             = aws_sqs_queue.report.url
    }))
    error_message = "schedule-scans gets the config document, the Powertools settings, the scan queue's URL, and for its KEV step the ledger's name and the report queue's URL."
  }

  assert {
    condition = (aws_lambda_function.scan_images.environment[0].variables == tomap({
      ECR_SCAN_REPORTER_CONFIG     = output.config_document
      POWERTOOLS_SERVICE_NAME      = "scan-images"
      POWERTOOLS_LOG_LEVEL         = "INFO"
      POWERTOOLS_METRICS_NAMESPACE = "EcrScanReporter"
      SCAN_DLQ_URL                 = aws_sqs_queue.scan_dlq.url
      LEDGER_TABLE_NAME            = "ecr-scan-reporter-ledger"
    }))
    error_message = "scan-images gets the config document, the Powertools settings, its dead-letter queue's URL and the ledger's name."
  }

  assert {
    condition = (aws_lambda_function.report_findings.environment[0].variables == tomap({
      ECR_SCAN_REPORTER_CONFIG     = output.config_document
      POWERTOOLS_SERVICE_NAME      = "report-findings"
      POWERTOOLS_LOG_LEVEL         = "INFO"
      POWERTOOLS_METRICS_NAMESPACE = "EcrScanReporter"
      REPORT_QUEUE_URL             = aws_sqs_queue.report.url
      REPORT_DLQ_URL               = aws_sqs_queue.report_dlq.url
      LEDGER_TABLE_NAME            = "ecr-scan-reporter-ledger"
    }))
    error_message = "report-findings gets the config document, the Powertools settings, the report queue's and DLQ's URLs and the ledger's name (no layer paths without layers)."
  }

  # The module writes the topic's ARN out from its parts (it must be known at plan time): it must be the ARN AWS
  # gives the topic it creates.
  assert {
    condition     = jsondecode(output.config_document).reporters[0].options.topicArn == aws_sns_topic.findings[0].arn
    error_message = "The sns reporter publishes to the topic the module creates."
  }
}

run "settings_are_passed_through" {
  command = plan

  variables {
    name_prefix                 = "scans"
    runtime                     = "nodejs20.x"
    architecture                = "x86_64"
    schedule_expression         = "cron(0 3 * * ? *)"
    log_retention_days          = 90
    log_level                   = "DEBUG"
    scan_images_timeout         = 600
    scan_images_memory_size     = 1024
    report_findings_timeout     = 60
    report_findings_memory_size = 256
    report_max_concurrency      = 2
    report_delay_seconds        = 0
    max_receive_count           = 3
    tags                        = { team = "platform" }
  }

  assert {
    condition     = aws_lambda_function.scan_images.runtime == "nodejs20.x" && aws_lambda_function.scan_images.architectures == tolist(["x86_64"])
    error_message = "runtime and architecture are passed to the functions."
  }

  assert {
    condition     = aws_lambda_function.scan_images.memory_size == 1024 && aws_lambda_function.report_findings.memory_size == 256
    error_message = "Memory sizes are passed to the functions."
  }

  assert {
    condition     = aws_sqs_queue.report.delay_seconds == 0 && aws_lambda_event_source_mapping.report.scaling_config[0].maximum_concurrency == 2
    error_message = "report_delay_seconds and report_max_concurrency are applied."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "cron(0 3 * * ? *)"
    error_message = "The schedule follows schedule_expression."
  }

  # A second instance in the same region must not collide with the first: every name carries the prefix.
  assert {
    condition = alltrue([for name in concat(
      [for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images, aws_lambda_function.report_findings, aws_lambda_function.send_digests[0]] : fn.function_name],
      [for queue in [aws_sqs_queue.scan, aws_sqs_queue.scan_dlq, aws_sqs_queue.report, aws_sqs_queue.report_dlq, aws_sqs_queue.schedule_dlq, aws_sqs_queue.digest_dlq[0]] : queue.name],
      [for rule in concat([aws_cloudwatch_event_rule.schedule, aws_cloudwatch_event_rule.digests[0]], values(aws_cloudwatch_event_rule.report)) : rule.name],
      [for role in [aws_iam_role.schedule_scans, aws_iam_role.scan_images, aws_iam_role.report_findings, aws_iam_role.send_digests[0]] : role.name],
      [aws_sns_topic.findings[0].name, aws_dynamodb_table.ledger[0].name],
    ) : startswith(name, "scans-")])
    error_message = "Functions, queues, rules, roles, the topic and the ledger table are named after name_prefix."
  }

  assert {
    condition = alltrue([for group in [aws_cloudwatch_log_group.schedule_scans, aws_cloudwatch_log_group.scan_images, aws_cloudwatch_log_group.report_findings, aws_cloudwatch_log_group.send_digests[0]] :
      group.retention_in_days == 90 && startswith(group.name, "/aws/lambda/scans-")
    ])
    error_message = "Log groups follow log_retention_days and name_prefix."
  }

  assert {
    condition     = aws_lambda_function.scan_images.environment[0].variables.POWERTOOLS_LOG_LEVEL == "DEBUG"
    error_message = "log_level sets POWERTOOLS_LOG_LEVEL."
  }

  assert {
    condition     = aws_iam_role.report_findings.name == "scans-report-findings-eu-west-1"
    error_message = "Role names carry the prefix and the region."
  }

  assert {
    condition = alltrue([for tags in [aws_sqs_queue.scan.tags, aws_lambda_function.scan_images.tags, aws_iam_role.scan_images.tags, aws_cloudwatch_log_group.scan_images.tags, aws_sns_topic.findings[0].tags, aws_lambda_event_source_mapping.report.tags, aws_cloudwatch_event_rule.schedule.tags, aws_dynamodb_table.ledger[0].tags] :
      tags["team"] == "platform" && tags["ecr-scan-reporter"] == "scans"
    ])
    error_message = "var.tags are merged into every resource's tags."
  }
}

run "kms_key_encrypts_everything" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition = alltrue([for queue in [aws_sqs_queue.scan, aws_sqs_queue.scan_dlq, aws_sqs_queue.report, aws_sqs_queue.report_dlq, aws_sqs_queue.schedule_dlq, aws_sqs_queue.digest_dlq[0]] :
      queue.kms_master_key_id == var.kms_key_arn
    ])
    error_message = "With a KMS key every queue is encrypted with it."
  }

  assert {
    condition = alltrue([for group in [aws_cloudwatch_log_group.schedule_scans, aws_cloudwatch_log_group.scan_images, aws_cloudwatch_log_group.report_findings, aws_cloudwatch_log_group.send_digests[0]] :
      group.kms_key_id == var.kms_key_arn
    ])
    error_message = "With a KMS key the log groups are encrypted with it."
  }

  assert {
    condition     = aws_sns_topic.findings[0].kms_master_key_id == var.kms_key_arn
    error_message = "With a KMS key the created topic is encrypted with it."
  }

  assert {
    condition = alltrue([for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images, aws_lambda_function.report_findings, aws_lambda_function.send_digests[0]] :
      fn.kms_key_arn == var.kms_key_arn
    ])
    error_message = "With a KMS key the functions' environment is encrypted with it."
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "With a KMS key (and no ledger_kms_key_arn) the ledger table is encrypted with it."
  }
}

# A key for the logs alone (a logging account's key, say): the log groups use it, everything else kms_key_arn.
run "log_key_for_the_log_groups" {
  command = plan

  variables {
    kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    log_kms_key_arn = "arn:aws:kms:eu-west-1:210987654321:key/abcd1234-ab12-cd34-ef56-abcdef123456"
  }

  assert {
    condition = alltrue([for group in [aws_cloudwatch_log_group.schedule_scans, aws_cloudwatch_log_group.scan_images, aws_cloudwatch_log_group.report_findings, aws_cloudwatch_log_group.send_digests[0]] :
      group.kms_key_id == var.log_kms_key_arn
    ])
    error_message = "log_kms_key_arn encrypts the log groups."
  }

  assert {
    condition     = aws_sqs_queue.scan.kms_master_key_id == var.kms_key_arn && aws_sns_topic.findings[0].kms_master_key_id == var.kms_key_arn
    error_message = "The queues and the topic stay under kms_key_arn."
  }
}
