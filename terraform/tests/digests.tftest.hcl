# The digests (digests.tf): send-digests, its schedule, its DLQ wiring and its role. That each granted action is
# one the function calls, and no more, is proved on the sandbox (test/iam.e2e.test.ts, with the policies
# tests/local-deployment.tftest.hcl renders); here, what every plan holds.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "digests_by_default" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_event_rule.digests) == 1 && aws_cloudwatch_event_rule.digests[0].schedule_expression == "cron(0 8 ? * MON *)" && aws_cloudwatch_event_rule.digests[0].name == "ecr-scan-reporter-digests"
    error_message = "By default the digests are sent on Mondays at 08:00 UTC, by the rule <name_prefix>-digests."
  }

  assert {
    condition = (aws_lambda_function.send_digests[0].function_name == "ecr-scan-reporter-send-digests"
      && endswith(aws_lambda_function.send_digests[0].filename, "dist/send-digests.zip")
      && aws_lambda_function.send_digests[0].source_code_hash == filebase64sha256("dist/send-digests.zip")
    && aws_lambda_function.send_digests[0].handler == "index.handler")
    error_message = "send-digests is deployed from its own committed bundle in dist/, with that bundle's hash, and runs its index.handler."
  }

  assert {
    condition = (aws_lambda_function.send_digests[0].timeout == 300 && aws_lambda_function.send_digests[0].memory_size == 1024
    && aws_lambda_function.send_digests[0].runtime == "nodejs22.x" && aws_lambda_function.send_digests[0].architectures == tolist(["arm64"]))
    error_message = "send-digests runs 300 s with 1024 MB by default, on the runtime and architecture of the others."
  }

  assert {
    condition = (aws_lambda_function.send_digests[0].environment[0].variables == tomap({
      ECR_SCAN_REPORTER_CONFIG     = output.config_document
      POWERTOOLS_SERVICE_NAME      = "send-digests"
      POWERTOOLS_LOG_LEVEL         = "INFO"
      POWERTOOLS_METRICS_NAMESPACE = "EcrScanReporter"
      LEDGER_TABLE_NAME            = "ecr-scan-reporter-ledger"
    }))
    error_message = "send-digests gets the config document, the Powertools settings and the ledger's name (no queue: it sends through the reporters only)."
  }

  assert {
    condition = (aws_lambda_function.send_digests[0].logging_config[0].log_group == aws_cloudwatch_log_group.send_digests[0].name
      && aws_cloudwatch_log_group.send_digests[0].name == "/aws/lambda/ecr-scan-reporter-send-digests"
    && aws_cloudwatch_log_group.send_digests[0].retention_in_days == 30)
    error_message = "send-digests logs to the log group the module creates for it, with the others' retention."
  }

  assert {
    condition = (aws_lambda_function_event_invoke_config.send_digests[0].maximum_retry_attempts == 2
    && aws_lambda_function_event_invoke_config.send_digests[0].function_name == aws_lambda_function.send_digests[0].function_name)
    error_message = "Lambda retries a failed digest run twice, as it does schedule-scans."
  }

  assert {
    condition = (aws_sqs_queue.digest_dlq[0].name == "ecr-scan-reporter-digest-dlq" && aws_sqs_queue.digest_dlq[0].sqs_managed_sse_enabled == true
      && aws_sqs_queue.digest_dlq[0].message_retention_seconds == aws_sqs_queue.schedule_dlq.message_retention_seconds
    && jsondecode(aws_sqs_queue.digest_dlq[0].redrive_allow_policy) == { redrivePermission = "denyAll" })
    error_message = "The digests' DLQ is encrypted, keeps its messages as long as the schedule DLQ, and is no queue's dead-letter queue."
  }

  assert {
    condition = (aws_lambda_permission.digests[0].principal == "events.amazonaws.com" && aws_lambda_permission.digests[0].action == "lambda:InvokeFunction"
    && aws_lambda_permission.digests[0].function_name == aws_lambda_function.send_digests[0].function_name)
    error_message = "EventBridge may invoke send-digests."
  }

  # Every statement of the role, by Sid, with its actions: nothing else is granted by default (sns, the default
  # reporter, is the one target).
  assert {
    condition = { for s in jsondecode(aws_iam_role_policy.send_digests[0].policy).Statement : s.Sid => flatten([s.Action]) } == {
      ListRepositories          = ["ecr:DescribeRepositories"]
      ListImages                = ["ecr:DescribeImages"]
      RecordFailedRuns          = ["sqs:SendMessage"]
      WriteOwnLogs              = ["logs:CreateLogStream", "logs:PutLogEvents"]
      TrackDigestsInLedger      = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
      FindImagesByVulnerability = ["dynamodb:Query"]
      PublishToTopic            = ["sns:Publish", "sns:GetTopicAttributes"]
    }
    error_message = "send-digests may list the repositories and their images, record its failed runs, log, read the ledger, claim its sends and cache the KEV catalog, query the by-vulnerability index, and publish to the topic; nothing else."
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.send_digests[0].policy).Statement :
      flatten([s.Resource]) == ({
        ListRepositories          = ["arn:aws:ecr:eu-west-1:123456789012:repository/*"]
        ListImages                = ["arn:aws:ecr:eu-west-1:123456789012:repository/*"]
        RecordFailedRuns          = ["arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-digest-dlq"]
        WriteOwnLogs              = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/ecr-scan-reporter-send-digests:*"]
        TrackDigestsInLedger      = ["arn:aws:dynamodb:eu-west-1:123456789012:table/ecr-scan-reporter-ledger"]
        FindImagesByVulnerability = ["arn:aws:dynamodb:eu-west-1:123456789012:table/ecr-scan-reporter-ledger/index/by-vulnerability"]
        PublishToTopic            = ["arn:aws:sns:eu-west-1:123456789012:ecr-scan-reporter-findings"]
      })[s.Sid]
    ])
    error_message = "Each statement names its own resources: the region's repositories, the digests' DLQ, its log group, the ledger table, its by-vulnerability index (no other), the topic."
  }

  assert {
    condition = (aws_iam_role.send_digests[0].name == "ecr-scan-reporter-send-digests-eu-west-1"
    && jsondecode(aws_iam_role.send_digests[0].assume_role_policy).Statement[0].Principal == { Service = "lambda.amazonaws.com" })
    error_message = "send-digests has a role of its own, named like the others and assumed by Lambda only."
  }

  assert {
    condition = (output.send_digests_function_name == "ecr-scan-reporter-send-digests"
    && output.digest_rule_name == "ecr-scan-reporter-digests")
    error_message = "The outputs name the function and its rule."
  }
}

# Applied against the mock provider, each resource with its own ARN: the wiring between them.
run "digests_wiring" {
  command = apply

  override_resource {
    target = aws_sqs_queue.digest_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-digest-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-digest-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-digest-dlq" }
  }
  override_resource {
    target = aws_sqs_queue.schedule_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-schedule-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-schedule-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecr-scan-reporter-schedule-dlq" }
  }
  override_resource {
    target = aws_lambda_function.send_digests
    values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:ecr-scan-reporter-send-digests" }
  }
  override_resource {
    target = aws_cloudwatch_event_rule.digests
    values = { arn = "arn:aws:events:eu-west-1:123456789012:rule/ecr-scan-reporter-digests" }
  }
  override_resource {
    target = aws_iam_role.send_digests
    values = { arn = "arn:aws:iam::123456789012:role/ecr-scan-reporter-send-digests-eu-west-1" }
  }

  assert {
    condition     = aws_cloudwatch_event_target.digests[0].arn == aws_lambda_function.send_digests[0].arn && aws_lambda_permission.digests[0].source_arn == aws_cloudwatch_event_rule.digests[0].arn
    error_message = "The digest rule targets send-digests, which only that rule may invoke."
  }

  assert {
    condition = (aws_cloudwatch_event_target.digests[0].dead_letter_config[0].arn == aws_sqs_queue.digest_dlq[0].arn
      && aws_cloudwatch_event_target.digests[0].retry_policy[0].maximum_retry_attempts == aws_cloudwatch_event_target.schedule.retry_policy[0].maximum_retry_attempts
    && aws_cloudwatch_event_target.digests[0].retry_policy[0].maximum_event_age_in_seconds == aws_cloudwatch_event_target.schedule.retry_policy[0].maximum_event_age_in_seconds)
    error_message = "EventBridge retries a digest event as it does the schedule's, then dead-letters it into the digests' DLQ."
  }

  assert {
    condition = alltrue([for statement in jsondecode(aws_sqs_queue_policy.digest_dlq[0].policy).Statement :
      statement.Effect == "Allow" && statement.Principal == { Service = "events.amazonaws.com" } && statement.Action == "sqs:SendMessage"
      && statement.Resource == aws_sqs_queue.digest_dlq[0].arn
      && toset(flatten([statement.Condition.ArnEquals["aws:SourceArn"]])) == toset([aws_cloudwatch_event_rule.digests[0].arn])
    ]) && aws_sqs_queue_policy.digest_dlq[0].queue_url == aws_sqs_queue.digest_dlq[0].url
    error_message = "EventBridge may dead-letter the digest rule's events into the digests' DLQ, and nothing else may."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.send_digests[0].destination_config[0].on_failure[0].destination == aws_sqs_queue.digest_dlq[0].arn
    error_message = "A digest run that still fails after Lambda's retries is recorded in the digests' DLQ (not the schedule's)."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.send_digests[0].policy).Statement : s.Resource if s.Sid == "RecordFailedRuns"]) == aws_sqs_queue.digest_dlq[0].arn
    error_message = "Lambda sends the failure record with send-digests' role, which may send to the digests' DLQ (the ARN the policy writes out is the queue's)."
  }

  assert {
    condition = (aws_iam_role_policy.send_digests[0].role == aws_iam_role.send_digests[0].id && output.send_digests_role_arn == aws_iam_role.send_digests[0].arn
    && aws_lambda_function.send_digests[0].role == aws_iam_role.send_digests[0].arn)
    error_message = "send-digests runs with a role of its own, whose policy is the one above."
  }

  assert {
    condition     = output.send_digests_function_arn == aws_lambda_function.send_digests[0].arn && output.digest_dlq_arn == aws_sqs_queue.digest_dlq[0].arn && output.digest_dlq_url == aws_sqs_queue.digest_dlq[0].url
    error_message = "The outputs are the created function's and queue's."
  }
}

run "no_digests" {
  command = plan

  variables {
    digest_schedule_expression = null
    alarm_sns_topic_arn        = "arn:aws:sns:eu-west-1:123456789012:ops-alarms"
  }

  assert {
    condition = (length(aws_cloudwatch_event_rule.digests) == 0 && length(aws_cloudwatch_event_target.digests) == 0 && length(aws_lambda_permission.digests) == 0
      && length(aws_lambda_function.send_digests) == 0 && length(aws_lambda_function_event_invoke_config.send_digests) == 0 && length(aws_cloudwatch_log_group.send_digests) == 0
    && length(aws_iam_role.send_digests) == 0 && length(aws_iam_role_policy.send_digests) == 0 && length(aws_sqs_queue.digest_dlq) == 0 && length(aws_sqs_queue_policy.digest_dlq) == 0)
    error_message = "digest_schedule_expression = null: no schedule, and no function, log group, role or DLQ either."
  }

  assert {
    condition = alltrue([for value in [output.send_digests_function_name, output.send_digests_function_arn, output.send_digests_role_arn, output.digest_rule_name, output.digest_dlq_url, output.digest_dlq_arn] :
      value == null
    ])
    error_message = "Without digests the digest outputs are null."
  }

  assert {
    condition = (!contains(keys(aws_cloudwatch_metric_alarm.function_errors), "send_digests") && !contains(keys(aws_cloudwatch_metric_alarm.dead_letters), "digest_dlq")
    && length(aws_cloudwatch_metric_alarm.function_errors) == 3 && length(aws_cloudwatch_metric_alarm.dead_letters) == 3)
    error_message = "No alarm watches a function or queue that does not exist."
  }

  assert {
    condition     = length(aws_dynamodb_table.ledger) == 1 && aws_lambda_function.report_findings.environment[0].variables.LEDGER_TABLE_NAME == "ecr-scan-reporter-ledger"
    error_message = "The ledger stays: only the digests are off."
  }
}

run "digest_settings_are_passed_through" {
  command = plan

  variables {
    name_prefix                = "scans"
    digest_schedule_expression = "rate(7 days)"
    send_digests_timeout       = 600
    send_digests_memory_size   = 2048
    log_level                  = "DEBUG"
    log_retention_days         = 90
    tags                       = { team = "platform" }
  }

  assert {
    condition     = aws_cloudwatch_event_rule.digests[0].schedule_expression == "rate(7 days)"
    error_message = "The digest rule follows digest_schedule_expression."
  }

  assert {
    condition     = aws_lambda_function.send_digests[0].timeout == 600 && aws_lambda_function.send_digests[0].memory_size == 2048
    error_message = "send_digests_timeout and send_digests_memory_size are passed to the function."
  }

  assert {
    condition = alltrue([for name in [
      aws_lambda_function.send_digests[0].function_name, aws_iam_role.send_digests[0].name, aws_sqs_queue.digest_dlq[0].name, aws_cloudwatch_event_rule.digests[0].name,
    ] : startswith(name, "scans-")]) && aws_cloudwatch_log_group.send_digests[0].name == "/aws/lambda/scans-send-digests"
    error_message = "The function, its role, DLQ, rule and log group are named after name_prefix."
  }

  assert {
    condition     = aws_cloudwatch_log_group.send_digests[0].retention_in_days == 90 && aws_lambda_function.send_digests[0].environment[0].variables.POWERTOOLS_LOG_LEVEL == "DEBUG"
    error_message = "log_retention_days and log_level apply to send-digests too."
  }

  assert {
    condition = alltrue([for tags in [aws_lambda_function.send_digests[0].tags, aws_iam_role.send_digests[0].tags, aws_sqs_queue.digest_dlq[0].tags, aws_cloudwatch_event_rule.digests[0].tags, aws_cloudwatch_log_group.send_digests[0].tags] :
      tags["team"] == "platform" && tags["ecr-scan-reporter"] == "scans"
    ])
    error_message = "var.tags are merged into the digest resources' tags."
  }

  assert {
    condition     = aws_lambda_function.send_digests[0].environment[0].variables.LEDGER_TABLE_NAME == "scans-ledger"
    error_message = "send-digests is told this instance's table."
  }
}

# send-digests runs the reporters report-findings runs: the same layers, the same layer paths, and the same
# statements for their targets (one list in iam.tf, so that the two cannot drift apart).
run "digests_run_the_reporters" {
  command = plan

  variables {
    kms_key_arns = ["arn:aws:kms:eu-west-1:210987654321:key/abcd1234-ab12-cd34-ef56-abcdef123456"]
    reporters = {
      slack   = { webhook_url_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf" }
      github  = { owner = "acme", repo = "security", token_parameter = "/acme/github-token" }
      email   = { from = "ECR scans <scans@acme.example>", to = ["sec@acme.example"], configuration_set = "ecr-scans" }
      metrics = { namespace = "Acme/EcrScans" }
    }
    ses_recipient_identities = ["sec@acme.example"]
    custom_reporters = [{
      package   = "@acme/ecr-reporter-teams"
      layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:3"
      options   = { webhookUrl = { parameter = "/acme/teams-webhook" } }
    }]
    templates_layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:ecr-scan-templates:1"
  }

  assert {
    condition = (aws_lambda_function.send_digests[0].layers == aws_lambda_function.report_findings.layers
    && aws_lambda_function.send_digests[0].layers == tolist(["arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:3", "arn:aws:lambda:eu-west-1:123456789012:layer:ecr-scan-templates:1"]))
    error_message = "send-digests gets report-findings' layers: the custom reporters' and the templates'."
  }

  assert {
    condition = (aws_lambda_function.send_digests[0].environment[0].variables.ECR_SCAN_REPORTER_REPORTERS_PATH == "/opt/nodejs/node_modules"
      && aws_lambda_function.send_digests[0].environment[0].variables.ECR_SCAN_REPORTER_TEMPLATES_PATH == "/opt/ecr-scan-reporter/templates"
    && aws_lambda_function.send_digests[0].environment[0].variables.POWERTOOLS_METRICS_NAMESPACE == "Acme/EcrScans")
    error_message = "send-digests is told where reporters and templates are mounted, and uses the metrics reporter's namespace."
  }

  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.send_digests[0].policy).Statement : s if contains(["PublishToTopic", "SendEmail", "CheckSenderIdentity", "CheckSesSandbox", "ReadReporterSecrets", "ReadReporterParameters", "DecryptReporterSecrets", "UseReporterKeys"], s.Sid)]
      == [for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s if contains(["PublishToTopic", "SendEmail", "CheckSenderIdentity", "CheckSesSandbox", "ReadReporterSecrets", "ReadReporterParameters", "DecryptReporterSecrets", "UseReporterKeys"], s.Sid)]
    )
    error_message = "send-digests may reach exactly the reporters' targets report-findings may: the same statements."
  }

  assert {
    condition = toset([for s in jsondecode(aws_iam_role_policy.send_digests[0].policy).Statement : s.Sid]) == toset([
      "ListRepositories", "ListImages", "RecordFailedRuns", "WriteOwnLogs", "TrackDigestsInLedger", "FindImagesByVulnerability",
      "PublishToTopic", "SendEmail", "CheckSenderIdentity", "CheckSesSandbox", "ReadReporterSecrets", "ReadReporterParameters", "DecryptReporterSecrets", "UseReporterKeys",
    ])
    error_message = "With every reporter, send-digests gets every reporter statement, and nothing of report-findings' own (queues, findings, Inspector)."
  }
}

# Active tracing, a VPC, the module's key, a config parameter: send-digests gets what every function gets.
run "digests_with_every_deployment_option" {
  command = plan

  variables {
    kms_key_arn            = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config_storage         = "parameter"
    tracing_mode           = "Active"
    vpc_subnet_ids         = ["subnet-0a1b2c3d4e5f60718"]
    vpc_security_group_ids = ["sg-0123456789abcdef0"]
  }

  assert {
    condition = (aws_lambda_function.send_digests[0].kms_key_arn == var.kms_key_arn && aws_sqs_queue.digest_dlq[0].kms_master_key_id == var.kms_key_arn
    && aws_cloudwatch_log_group.send_digests[0].kms_key_id == var.kms_key_arn)
    error_message = "The module's key encrypts send-digests' environment, its DLQ and its log group."
  }

  assert {
    condition = (aws_lambda_function.send_digests[0].tracing_config[0].mode == "Active"
      && aws_lambda_function.send_digests[0].vpc_config[0].subnet_ids == toset(var.vpc_subnet_ids)
    && aws_lambda_function.send_digests[0].vpc_config[0].security_group_ids == toset(var.vpc_security_group_ids))
    error_message = "send-digests is traced and attached to the VPC like the others."
  }

  assert {
    condition = (aws_lambda_function.send_digests[0].environment[0].variables.ECR_SCAN_REPORTER_CONFIG_PARAMETER == "/ecr-scan-reporter/config"
    && !can(aws_lambda_function.send_digests[0].environment[0].variables.ECR_SCAN_REPORTER_CONFIG))
    error_message = "send-digests is given the config parameter's name instead of the document."
  }

  assert {
    condition = length(setsubtract(
      ["ReadConfigParameter", "UseModuleKey", "ManageVpcNetworkInterfaces", "DescribeVpcNetworkInterfaces", "WriteTraces"],
      [for s in jsondecode(aws_iam_role_policy.send_digests[0].policy).Statement : s.Sid],
    )) == 0
    error_message = "send-digests' role gets the statements every function gets: the config parameter, the module's key, the VPC interfaces, X-Ray."
  }
}
