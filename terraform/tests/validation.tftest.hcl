# Each validation rejects a bad value (its message says how to fix it: see variables.tf).
#
# A run gives several variables one bad value each and expects every one of them to fail: Terraform fails the run
# if any listed variable passes. A variable with several validations (reporters, custom_reporters) gets one bad
# value per run, so each of its validations is exercised on its own. Grouping keeps the file fast: every run that
# fails validation restarts the provider.
#
# The regular expressions are checked together (regexes.tf), by a precondition of output.config_document: those
# runs also assert which inputs local.invalid_regex_inputs names, since the one failure does not say.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Values JavaScript accepts but RE2 cannot check (lookaround, backreferences) pass; the functions check them.
run "javascript_only_regex_is_accepted" {
  command = plan

  variables {
    repository_include = "^(?!sandbox-)team-"
    repository_exclude = "^(\\w+)-\\1$"
    ignore             = [{ id = "CVE-2023-4863", repositories = "^(?<=x)legacy", until = "2028-02-29", reason = "leap day" }]
  }

  assert {
    condition     = jsondecode(output.config_document).repositories == { include = "^(?!sandbox-)team-", exclude = "^(\\w+)-\\1$" }
    error_message = "Lookaround and backreferences reach the document unchanged."
  }
}

# Regexes RE2 cannot compile and that are not JavaScript-only either, in each kind of regex input.
run "uncompilable_regexes" {
  command = plan

  variables {
    repository_include = "team-("
    repository_exclude = "[a-"
    ignore             = [{ id = "CVE-2023-4863", repositories = "(", reason = "r" }]
    reporters          = { metrics = { repositories = "team-(" } }
    custom_reporters   = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", repositories = "(" }]
  }

  expect_failures = [output.config_document]

  assert {
    condition     = [for input in local.invalid_regex_inputs : input.name] == ["repository_include", "repository_exclude", "ignore[0].repositories", "reporters.metrics.repositories", "custom_reporters[0].repositories"]
    error_message = "Every uncompilable regex is named."
  }
}

# RE2-only syntax that JavaScript reads differently or not at all.
run "re2_only_regex_syntax" {
  command = plan

  variables {
    repository_include = "(?i)^team-"
    repository_exclude = "[[:alpha:]]+"
    ignore             = [{ id = "CVE-2023-4863", repositories = "^(?P<team>[a-z]+)/", reason = "r" }]
  }

  expect_failures = [output.config_document]

  assert {
    condition     = [for input in local.invalid_regex_inputs : input.name] == ["repository_include", "repository_exclude", "ignore[0].repositories"]
    error_message = "Every regex with RE2-only syntax is named."
  }
}

# A prefix not starting with a letter; a schedule that is not rate() or cron().
run "bad_prefix_and_schedule" {
  command = plan

  variables {
    name_prefix         = "1-scans"
    schedule_expression = "every day"
  }

  expect_failures = [var.name_prefix, var.schedule_expression]
}

# A prefix that would overflow IAM role names.
run "long_prefix" {
  command = plan

  variables {
    name_prefix = "a-very-long-prefix-that-breaks-iam-role-names"
  }

  expect_failures = [var.name_prefix]
}

# Severities not upper case.
run "lower_case_severities" {
  command = plan

  variables {
    reporters        = { sns = { min_severity = "high" } }
    custom_reporters = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", min_severity = "SEVERE" }]
  }

  expect_failures = [var.reporters, var.custom_reporters]
}

# topic_arn not an ARN; a custom reporter named like a built-in one.
run "topic_not_an_arn_builtin_package" {
  command = plan

  variables {
    reporters        = { sns = { topic_arn = "ecr-findings" } }
    custom_reporters = [{ package = "slack", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1" }]
  }

  expect_failures = [var.reporters, var.custom_reporters]
}

# A layer ARN without version.
run "unversioned_layer" {
  command = plan

  variables {
    custom_reporters = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme" }]
  }

  expect_failures = [var.custom_reporters]
}

# Slack with no webhook reference; five custom reporter layers.
run "slack_without_secret_and_too_many_layers" {
  command = plan

  variables {
    reporters        = { slack = {} }
    custom_reporters = [for i in range(5) : { package = "@acme/r${i}", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-${i}:1" }]
  }

  expect_failures = [var.reporters, var.custom_reporters]
}

# Slack with both webhook references; a custom reporter secret given by name.
run "slack_with_two_secrets_and_secret_by_name" {
  command = plan

  variables {
    reporters        = { slack = { webhook_url_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack", webhook_url_parameter = "/slack" } }
    custom_reporters = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", secret_arns = ["teams-webhook"] }]
  }

  expect_failures = [var.reporters, var.custom_reporters]
}

# The webhook URL itself instead of a secret; a parameter given by ARN.
run "webhook_url_as_value_and_parameter_as_arn" {
  command = plan

  variables {
    reporters        = { slack = { webhook_url_secret_arn = "https://hooks.slack.com/services/T000/B000/XXXX" } }
    custom_reporters = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", parameter_names = ["arn:aws:ssm:eu-west-1:123456789012:parameter/teams"] }]
  }

  expect_failures = [var.reporters, var.custom_reporters]
}

# An unknown custom reporter attribute.
run "custom_reporter_shape" {
  command = plan

  variables {
    custom_reporters = [{ package = "@acme/teams", layer = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1" }]
  }

  expect_failures = [var.custom_reporters]
}

# GitHub with no token reference; a templates layer without version; a KMS alias.
run "github_without_token_and_bad_layer_and_key" {
  command = plan

  variables {
    reporters           = { github = { owner = "acme", repo = "security" } }
    templates_layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:templates"
    kms_key_arn         = "arn:aws:kms:eu-west-1:123456789012:alias/ecr-scans"
  }

  expect_failures = [var.reporters, var.templates_layer_arn, var.kms_key_arn]
}

# A GitHub token parameter given by ARN; a retention CloudWatch does not offer; an unknown log level.
run "github_token_parameter_and_log_settings" {
  command = plan

  variables {
    reporters          = { github = { owner = "acme", repo = "security", token_parameter = "arn:aws:ssm:eu-west-1:123456789012:parameter/gh" } }
    log_retention_days = 10
    log_level          = "verbose"
  }

  expect_failures = [var.reporters, var.log_retention_days, var.log_level]
}

# An unsupported runtime and architecture.
run "runtime_and_architecture" {
  command = plan

  variables {
    runtime      = "nodejs18.x"
    architecture = "arm"
  }

  expect_failures = [var.runtime, var.architecture]
}

# A sender that is not an address; schedule-scans memory and timeout out of Lambda's range.
run "email_from_and_schedule_scans_limits" {
  command = plan

  variables {
    reporters                  = { email = { from = "scans", to = ["sec@acme.example"] } }
    schedule_scans_memory_size = 64
    schedule_scans_timeout     = 901
  }

  expect_failures = [var.reporters, var.schedule_scans_memory_size, var.schedule_scans_timeout]
}

# scan-images memory and timeout out of range.
run "scan_images_limits" {
  command = plan

  variables {
    scan_images_memory_size = 20480
    scan_images_timeout     = 0
  }

  expect_failures = [var.scan_images_memory_size, var.scan_images_timeout]
}

# A configuration set name with a space; report-findings memory and timeout out of range.
run "email_configuration_set_and_report_findings_limits" {
  command = plan

  variables {
    reporters                   = { email = { from = "scans@acme.example", to = ["sec@acme.example"], configuration_set = "my set" } }
    report_findings_memory_size = 100
    report_findings_timeout     = 1000
  }

  expect_failures = [var.reporters, var.report_findings_memory_size, var.report_findings_timeout]
}

# Concurrency, delay and receive count out of range.
run "queue_settings" {
  command = plan

  variables {
    report_max_concurrency = 1
    report_delay_seconds   = 901
    max_receive_count      = 0
  }

  expect_failures = [var.report_max_concurrency, var.report_delay_seconds, var.max_receive_count]
}

# An e-mail subscription that is not an address.
run "sns_email_subscription_not_an_address" {
  command = plan

  variables {
    reporters = { sns = { email_subscriptions = ["security team"] } }
  }

  expect_failures = [var.reporters]
}

# A document too large even for an advanced SSM parameter is stopped at plan time.
run "config_document_over_8_kb" {
  command = plan

  variables {
    ignore = [for i in range(100) : { id = format("CVE-2024-%05d", i), repositories = "^legacy/", until = "2027-01-31", reason = "accepted by the security review of 2026-11" }]
  }

  expect_failures = [aws_ssm_parameter.config]
}

# Key aliases instead of key ARNs; a role path without its slashes; a boundary given by name.
run "keys_and_role_settings" {
  command = plan

  variables {
    kms_key_arns              = ["alias/ecr-scans"]
    log_kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:alias/logs"
    role_path                 = "service"
    role_permissions_boundary = "workload-boundary"
  }

  expect_failures = [var.kms_key_arns, var.log_kms_key_arn, var.role_path, var.role_permissions_boundary]
}

# An alarm topic by name; a recipient identity that is neither an address nor a domain; a lower-case mode.
run "alarm_topic_recipients_and_tracing" {
  command = plan

  variables {
    alarm_sns_topic_arn      = "ops-alarms"
    ses_recipient_identities = ["Security Team"]
    tracing_mode             = "active"
  }

  expect_failures = [var.alarm_sns_topic_arn, var.ses_recipient_identities, var.tracing_mode]
}

# A VPC id for a subnet, a security group by name; a scan concurrency under Lambda's minimum of 2.
run "vpc_ids_and_scan_concurrency" {
  command = plan

  variables {
    vpc_subnet_ids         = ["vpc-0123456789abcdef0"]
    vpc_security_group_ids = ["default"]
    scan_max_concurrency   = 1
  }

  expect_failures = [var.vpc_subnet_ids, var.vpc_security_group_ids, var.scan_max_concurrency]
}
