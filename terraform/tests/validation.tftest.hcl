# Each validation rejects a bad value (its message says how to fix it: see variables.tf).
#
# A run gives several variables one bad value each and expects every one of them to fail: Terraform fails the run
# if any listed variable passes. A variable with several validations (reporters, custom_reporters, ignore) gets one
# bad value per run, so each of its validations is exercised on its own. Grouping keeps the file fast: every run
# that fails validation restarts the provider.

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

# Regexes RE2 cannot compile and that are not JavaScript-only either; a prefix not starting with a letter.
run "bad_prefix_and_uncompilable_regexes" {
  command = plan

  variables {
    name_prefix        = "1-scans"
    repository_include = "team-("
    repository_exclude = "[a-"
    ignore             = [{ id = "CVE-2023-4863", repositories = "(", reason = "r" }]
    reporters          = { metrics = { repositories = "team-(" } }
    custom_reporters   = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", repositories = "(" }]
  }

  expect_failures = [var.name_prefix, var.repository_include, var.repository_exclude, var.ignore, var.reporters, var.custom_reporters]
}

# RE2-only syntax that JavaScript reads differently or not at all.
run "re2_only_regex_syntax" {
  command = plan

  variables {
    repository_include = "(?i)^team-"
    repository_exclude = "[[:alpha:]]+"
    ignore             = [{ id = "CVE-2023-4863", repositories = "^(?P<team>[a-z]+)/", reason = "r" }]
  }

  expect_failures = [var.repository_include, var.repository_exclude, var.ignore]
}

# A prefix that would overflow IAM role names; an empty regex.
run "long_prefix_and_empty_regex" {
  command = plan

  variables {
    name_prefix        = "a-very-long-prefix-that-breaks-iam-role-names"
    repository_include = ""
  }

  expect_failures = [var.name_prefix, var.repository_include]
}

# Durations without a unit, a zero count, a schedule that is not rate() or cron(), a negative threshold.
run "bad_durations_counts_and_schedule" {
  command = plan

  variables {
    scan_expiry         = "7 days"
    only_pulled_within  = "90"
    max_scans_per_run   = 0
    schedule_expression = "every day"
    thresholds          = { CRITICAL = -1 }
  }

  expect_failures = [var.scan_expiry, var.only_pulled_within, var.max_scans_per_run, var.schedule_expression, var.thresholds]
}

# Zero durations; fractional counts.
run "zero_durations_and_fractions" {
  command = plan

  variables {
    scan_expiry        = "0d"
    only_pulled_within = "0m"
    max_scans_per_run  = 2.5
    thresholds         = { HIGH = 1.5 }
  }

  expect_failures = [var.scan_expiry, var.only_pulled_within, var.max_scans_per_run, var.thresholds]
}

# An ignore entry without a reason; severities not upper case.
run "ignore_without_reason_and_lower_case_severities" {
  command = plan

  variables {
    ignore            = [{ id = "CVE-2023-4863", reason = " " }]
    reporters         = { sns = { min_severity = "high" } }
    custom_reporters  = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", min_severity = "SEVERE" }]
    max_scans_per_run = 100001
  }

  expect_failures = [var.ignore, var.reporters, var.custom_reporters, var.max_scans_per_run]
}

# until not YYYY-MM-DD; topic_arn not an ARN; a custom reporter named like a built-in one.
run "until_not_a_date_topic_not_an_arn_builtin_package" {
  command = plan

  variables {
    ignore           = [{ id = "CVE-2023-4863", until = "31/01/2027", reason = "r" }]
    reporters        = { sns = { topic_arn = "ecr-findings" } }
    custom_reporters = [{ package = "slack", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1" }]
  }

  expect_failures = [var.ignore, var.reporters, var.custom_reporters]
}

# A day that does not exist; an SNS subject prefix that is not ASCII; a layer ARN without version.
run "impossible_date_non_ascii_subject_unversioned_layer" {
  command = plan

  variables {
    ignore           = [{ id = "CVE-2023-4863", until = "2027-02-30", reason = "r" }]
    reporters        = { sns = { subject_prefix = "[scans] ✓" } }
    custom_reporters = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme" }]
  }

  expect_failures = [var.ignore, var.reporters, var.custom_reporters]
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

# More Slack findings than its block limit allows; an unknown custom reporter attribute.
run "slack_max_findings_and_custom_reporter_shape" {
  command = plan

  variables {
    reporters        = { slack = { webhook_url_parameter = "/slack", max_findings = 41 } }
    custom_reporters = [{ package = "@acme/teams", layer = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1" }]
  }

  expect_failures = [var.reporters, var.custom_reporters]
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

# A GitHub owner that is not a login; a retention CloudWatch does not offer; an unknown log level.
run "github_owner_and_log_settings" {
  command = plan

  variables {
    reporters          = { github = { owner = "acme corp", repo = "security", token_parameter = "/gh" } }
    log_retention_days = 10
    log_level          = "verbose"
  }

  expect_failures = [var.reporters, var.log_retention_days, var.log_level]
}

# A label with a comma; an unsupported runtime and architecture.
run "github_label_and_runtime" {
  command = plan

  variables {
    reporters    = { github = { owner = "acme", repo = "security", token_parameter = "/gh", labels = ["a,b"] } }
    runtime      = "nodejs18.x"
    architecture = "arm"
  }

  expect_failures = [var.reporters, var.runtime, var.architecture]
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

# No recipient; scan-images memory and timeout out of range.
run "email_without_recipient_and_scan_images_limits" {
  command = plan

  variables {
    reporters               = { email = { from = "scans@acme.example", to = [] } }
    scan_images_memory_size = 20480
    scan_images_timeout     = 0
  }

  expect_failures = [var.reporters, var.scan_images_memory_size, var.scan_images_timeout]
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

# A namespace with a colon; concurrency, delay and receive count out of range.
run "metrics_namespace_and_queue_settings" {
  command = plan

  variables {
    reporters              = { metrics = { namespace = "Acme:Ecr" } }
    report_max_concurrency = 1
    report_delay_seconds   = 901
    max_receive_count      = 0
  }

  expect_failures = [var.reporters, var.report_max_concurrency, var.report_delay_seconds, var.max_receive_count]
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
