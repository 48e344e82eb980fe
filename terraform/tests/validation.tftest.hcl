# Every input the plan must refuse: each validation rule of variables.tf and each precondition of the module trips
# here, and its message says how to fix the value; so does each rule of modules/member-account, in runs that plan
# that module. This is the one file with expect_failures runs.
#
# A run gives several inputs a bad value each, and may break several rules of one input or resource (e.g.
# member_accounts). expect_failures names inputs and resources, not rules, so here alone a rule switched off would
# go unnoticed behind another of the same input: test/terraform-validation.test.ts runs these runs without their
# expect_failures and checks that each one's diagnostics are exactly the messages of the rules it lists for that run
# (TRIPS), one each, and that every rule of the module is tripped by some run. Several inputs per run keep the file
# fast: every run that fails restarts the provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "digit_prefix_bad_schedule_lower_case_severities_old_runtime" {
  command = plan

  variables {
    name_prefix         = "1-scans"
    schedule_expression = "every day"
    reporters           = { sns = { min_severity = "high" } }
    custom_reporters    = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", min_severity = "SEVERE" }]
    runtime             = "nodejs18.x"
    architecture        = "arm"
  }

  expect_failures = [var.name_prefix, var.schedule_expression, var.reporters, var.custom_reporters, var.runtime, var.architecture]
}

# The custom reporter's options are a string, not an object.
run "long_prefix_sns_structure_not_lower_case_options_not_an_object_log_settings" {
  command = plan

  variables {
    name_prefix        = "a-very-long-prefix-that-breaks-iam-role-names"
    reporters          = { sns = { message_structure = "JSON" } }
    custom_reporters   = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", options = "webhook" }]
    config_storage     = "ssm"
    log_retention_days = 10
    log_level          = "verbose"
  }

  expect_failures = [var.name_prefix, var.reporters, var.custom_reporters, var.config_storage, var.log_retention_days, var.log_level]
}

run "topic_not_an_arn_builtin_package_unversioned_templates_key_alias" {
  command = plan

  variables {
    reporters           = { sns = { topic_arn = "ecr-findings" } }
    custom_reporters    = [{ package = "slack", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1" }]
    templates_layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:templates"
    kms_key_arn         = "arn:aws:kms:eu-west-1:123456789012:alias/ecr-scans"
  }

  expect_failures = [var.reporters, var.custom_reporters, var.templates_layer_arn, var.kms_key_arn]
}

run "slack_without_webhook_unversioned_layer_schedule_scans_limits" {
  command = plan

  variables {
    reporters                  = { slack = {} }
    custom_reporters           = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme" }]
    schedule_scans_memory_size = 64
    schedule_scans_timeout     = 901
  }

  expect_failures = [var.reporters, var.custom_reporters, var.schedule_scans_memory_size, var.schedule_scans_timeout]
}

# The webhook URL itself instead of a reference to the secret holding it.
run "webhook_url_as_value_five_layers_scan_images_limits" {
  command = plan

  variables {
    reporters               = { slack = { webhook_url_secret_arn = "https://hooks.slack.com/services/T000/B000/XXXX" } }
    custom_reporters        = [for i in range(5) : { package = "@acme/r${i}", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-${i}:1" }]
    scan_images_memory_size = 20480
    scan_images_timeout     = 0
  }

  expect_failures = [var.reporters, var.custom_reporters, var.scan_images_memory_size, var.scan_images_timeout]
}

# A digest schedule in words instead of an EventBridge expression, send-digests' limits, and GitHub severity labels
# keyed by a severity in lower case.
run "bad_digest_schedule_send_digests_limits_lower_case_severity_label" {
  command = plan

  variables {
    digest_schedule_expression = "weekly on monday"
    send_digests_memory_size   = 64
    send_digests_timeout       = 901
    reporters                  = { github = { owner = "acme", repo = "security", token_parameter = "/gh", severity_labels = { CRITICAL = "sev:critical", high = "sev:high" } } }
  }

  expect_failures = [var.digest_schedule_expression, var.send_digests_memory_size, var.send_digests_timeout, var.reporters]
}

# A custom reporter with the list its grant was once taken from (now derived from its options).
run "github_without_token_removed_secret_list_report_findings_limits" {
  command = plan

  variables {
    reporters                   = { github = { owner = "acme", repo = "security" } }
    custom_reporters            = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", options = { webhookUrl = { secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-webhook" } }, secret_arns = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-webhook"] }]
    report_findings_memory_size = 100
    report_findings_timeout     = 1000
  }

  expect_failures = [var.reporters, var.custom_reporters, var.report_findings_memory_size, var.report_findings_timeout]
}

# A misspelt attribute of a custom reporter (min_severty) is named, not dropped.
run "parameter_as_arn_misspelt_custom_reporter_key_queue_settings_key_aliases" {
  command = plan

  variables {
    reporters              = { github = { owner = "acme", repo = "security", token_parameter = "arn:aws:ssm:eu-west-1:123456789012:parameter/gh" } }
    custom_reporters       = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", min_severty = "HIGH" }]
    report_max_concurrency = 1
    report_delay_seconds   = 901
    max_receive_count      = 0
    kms_key_arns           = ["alias/ecr-scans"]
    log_kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:alias/logs"
  }

  expect_failures = [var.reporters, var.custom_reporters, var.report_max_concurrency, var.report_delay_seconds, var.max_receive_count, var.kms_key_arns, var.log_kms_key_arn]
}

# A role path without its slashes, a boundary and an alarm topic by name, a recipient identity that is neither an
# address nor a domain, a lower-case tracing mode, a VPC id for a subnet, a security group by name.
run "sender_not_an_address_role_alarm_tracing_vpc_settings" {
  command = plan

  variables {
    reporters                 = { email = { from = "scans", to = ["sec@acme.example"] } }
    role_path                 = "service"
    role_permissions_boundary = "workload-boundary"
    alarm_sns_topic_arn       = "ops-alarms"
    ses_recipient_identities  = ["Security Team"]
    tracing_mode              = "active"
    vpc_subnet_ids            = ["vpc-0123456789abcdef0"]
    vpc_security_group_ids    = ["default"]
    scan_max_concurrency      = 1
  }

  expect_failures = [var.reporters, var.role_path, var.role_permissions_boundary, var.alarm_sns_topic_arn, var.ses_recipient_identities, var.tracing_mode, var.vpc_subnet_ids, var.vpc_security_group_ids, var.scan_max_concurrency]
}

# Second values of rules with several parts: an e-mail subscription, an unknown custom reporter attribute.
run "subscription_not_an_address_unknown_custom_reporter_attribute" {
  command = plan

  variables {
    reporters        = { sns = { email_subscriptions = ["security team"] } }
    custom_reporters = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", layer = "acme" }]
  }

  expect_failures = [var.reporters, var.custom_reporters]
}

# notify is "changes" or "always", in lower case; the ledger's key is named by its ARN.
run "notify_not_an_option_ledger_key_alias" {
  command = plan

  variables {
    reporters          = { slack = { webhook_url_parameter = "/slack", notify = "weekly" } }
    custom_reporters   = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", notify = "Always" }]
    ledger_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:alias/ledger"
  }

  expect_failures = [var.reporters, var.custom_reporters, var.ledger_kms_key_arn]
}

run "slack_with_two_webhook_references" {
  command = plan

  variables {
    reporters = { slack = { webhook_url_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack", webhook_url_parameter = "/slack" } }
  }

  expect_failures = [var.reporters]
}

run "configuration_set_with_a_space" {
  command = plan

  variables {
    reporters = { email = { from = "scans@acme.example", to = ["sec@acme.example"], configuration_set = "my set" } }
  }

  expect_failures = [var.reporters]
}

# Threat intel from an FTP mirror, an EPSS score above 1, and a custom reporter's only_fixable that is no boolean.
run "kev_url_not_http_epss_above_one_only_fixable_not_a_boolean" {
  command = plan

  variables {
    intel            = { kev_url = "ftp://mirror.acme.example/kev.json" }
    escalate         = { epss_above = 1.5 }
    custom_reporters = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", only_fixable = "yes" }]
  }

  expect_failures = [var.intel, var.escalate, var.custom_reporters]
}

# An EPSS mirror with credentials in its URL (the document is no place for secrets); a negative EPSS score.
run "epss_url_with_credentials_negative_epss_above" {
  command = plan

  variables {
    intel    = { epss_url = "https://scanner:s3cret@mirror.acme.example/epss" }
    escalate = { epss_above = -0.1 }
  }

  expect_failures = [var.intel, var.escalate]
}

# Preconditions: Inspector2 Finding events without enhanced scanning (report-findings could not read their
# findings); subnets without security groups (the functions would fail at apply, after the roles and queues exist);
# regexes RE2 cannot compile, in each kind of regex input (regexes.tf); a custom reporter's secret referenced by its
# name, deep in its options (the grant needs the ARN).
run "finding_events_without_enhanced_scanning_subnets_alone_uncompilable_regexes_secret_by_name" {
  command = plan

  variables {
    enhanced_finding_events = true
    vpc_subnet_ids          = ["subnet-0a1b2c3d4e5f60718"]
    repository_include      = "team-("
    repository_exclude      = "[a-"
    ignore                  = [{ id = "CVE-2023-4863", repositories = "(", reason = "r" }]
    reporters               = { metrics = { repositories = "team-(" } }
    custom_reporters        = [{ package = "@acme/teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", repositories = "(", options = { routes = [{ webhookUrl = { secretArn = "teams-webhook" } }] } }]
  }

  expect_failures = [aws_sqs_queue_policy.report, aws_lambda_function.schedule_scans, output.config_document, aws_iam_role_policy.report_findings]

  assert {
    condition     = [for input in local.invalid_regex_inputs : input.name] == ["repository_include", "repository_exclude", "ignore[0].repositories", "reporters.metrics.repositories", "custom_reporters[0].repositories"]
    error_message = "Every uncompilable regex is named."
  }
}

# RE2-only syntax that JavaScript reads differently or not at all; a document forced into the environment although
# it does not fit Lambda's 4 KB; a custom reporter's SSM parameter referenced by its ARN.
run "re2_only_regex_syntax_document_too_large_for_the_environment_parameter_as_arn" {
  command = plan

  variables {
    repository_include = "(?i)^team-"
    repository_exclude = "[[:alpha:]]+"
    config_storage     = "environment"
    custom_reporters   = [{ package = "@acme/jira", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", options = { token = { parameter = "arn:aws:ssm:eu-west-1:123456789012:parameter/jira-token" } } }]
    ignore = concat(
      [{ id = "CVE-2023-4863", repositories = "^(?P<team>[a-z]+)/", reason = "r" }],
      [for i in range(40) : { id = format("CVE-2024-%05d", i), repositories = "^legacy/", until = "2027-01-31", reason = "accepted by the security review of 2026-11" }],
    )
  }

  expect_failures = [output.config_document, aws_lambda_function.schedule_scans, aws_iam_role_policy.report_findings]

  assert {
    condition     = [for input in local.invalid_regex_inputs : input.name] == ["repository_include", "repository_exclude", "ignore[0].repositories"]
    error_message = "Every regex with RE2-only syntax is named."
  }
}

# A document too large even for an advanced SSM parameter is stopped at plan time.
run "config_document_over_8_kb" {
  command = plan

  variables {
    ignore = [for i in range(100) : { id = format("CVE-2024-%05d", i), repositories = "^legacy/", until = "2027-01-31", reason = "accepted by the security review of 2026-11" }]
  }

  expect_failures = [aws_ssm_parameter.config]
}

# So many receives that a failing message would outlive its queue's retention (4 days) before SQS moves it to the
# DLQ: both queues refuse the plan.
run "receives_outlasting_the_queue_retention" {
  command = plan

  variables {
    max_receive_count = 200
  }

  expect_failures = [aws_sqs_queue.scan, aws_sqs_queue.report]
}

# Multi-account (accounts.tf): a member account id of 11 digits, listed twice, with an ExternalId STS refuses and a
# name that is an account id; an organization id in upper case; a role name with a slash (a path belongs in
# role_path); a hub account name with surrounding spaces.
run "member_id_not_12_digits_listed_twice_short_external_id_id_as_name_org_id_upper_case_role_name_with_slash_padded_hub_name" {
  command = plan

  variables {
    member_accounts = [
      { account_id = "21098765432", external_id = "x" },
      { account_id = "21098765432", name = "345678901234" },
    ]
    organization_id  = "o-A1B2C3D4E5"
    member_role_name = "team/scanner"
    hub_account_name = " security "
  }

  expect_failures = [var.member_accounts, var.organization_id, var.member_role_name, var.hub_account_name]
}

# STS takes an ExternalId of at most 1224 characters (multi-account.tftest.hcl plans one of 1224).
run "member_external_id_over_1224_characters" {
  command = plan

  variables {
    member_accounts = [{ account_id = "210987654321", external_id = format("%01225d", 7) }]
  }

  expect_failures = [var.member_accounts]
}

# Names as long as core's schema refuses: 33 ships are 33 characters to Terraform's length() but 66 UTF-16 code
# units, which core counts (multi-account.tftest.hcl accepts 32); a member role name over the member module's 40.
run "names_over_64_utf16_units_member_role_name_over_40_characters" {
  command = plan

  variables {
    member_accounts  = [{ account_id = "210987654321", name = join("", [for i in range(33) : "🚢"]) }]
    hub_account_name = join("", [for i in range(33) : "🚢"])
    member_role_name = "ecr-scan-reporter-member-of-the-security-hub"
  }

  expect_failures = [var.member_accounts, var.hub_account_name, var.member_role_name]
}

# The hub's own account listed as a member, under the hub's own name.
run "hub_listed_as_member_under_the_hub_name" {
  command = plan

  variables {
    member_accounts  = [{ account_id = "123456789012", name = "security" }]
    hub_account_name = "security"
  }

  expect_failures = [aws_iam_role_policy.schedule_scans]
}

# The hub's registry left out with no member to cover instead.
run "hub_account_left_out_without_members" {
  command = plan

  variables {
    include_hub_account = false
  }

  expect_failures = [aws_iam_role_policy.schedule_scans]
}

# A reporter routed to an account the deployment does not cover (a misspelt name), and a custom reporter's accounts
# that is not a list.
run "reporter_routed_to_an_unknown_account" {
  command = plan

  variables {
    member_accounts = [{ account_id = "210987654321", name = "team-a" }]
    reporters       = { sns = { accounts = ["team-b", "999999999999"] } }
    custom_reporters = [{
      package   = "acme-pager"
      layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-pager:1"
      accounts  = ["team-zzz"]
    }]
  }

  expect_failures = [aws_iam_role_policy.schedule_scans]
}

# A custom reporter's accounts that is not a list of strings.
run "custom_reporter_accounts_not_a_list" {
  command = plan

  variables {
    custom_reporters = [{
      package   = "acme-pager"
      layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-pager:1"
      accounts  = "123456789012"
    }]
  }

  expect_failures = [var.custom_reporters]
}

# modules/member-account: every input it checks on its own, each given a value it refuses.
run "member_module_hub_id_not_12_digits_user_arn_short_external_id_long_role_name_path_boundary_bus_name" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    hub_account_id            = "12345"
    hub_role_arns             = ["arn:aws:iam::123456789012:user/terraform"]
    external_id               = "a"
    role_name                 = "ecr-scan-reporter-member-of-the-security-hub"
    role_path                 = "service"
    role_permissions_boundary = "boundary"
    hub_event_bus_arn         = "default"
  }

  expect_failures = [var.hub_account_id, var.hub_role_arns, var.external_id, var.role_name, var.role_path, var.role_permissions_boundary, var.hub_event_bus_arn]
}

run "member_module_external_id_with_a_space_no_hub_roles" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    hub_account_id = "123456789012"
    hub_role_arns  = []
    external_id    = "team a"
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  expect_failures = [var.hub_role_arns, var.external_id]
}

# The member module applied in the hub's own account (the mock's caller is 123456789012), trusting a role of
# another account than the hub's.
run "member_module_in_the_hub_account_trusting_another_account" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    hub_account_id = "123456789012"
    hub_role_arns  = ["arn:aws:iam::999999999999:role/ecr-scan-reporter-scan-images-eu-west-1"]
    forward_events = false
  }

  expect_failures = [aws_iam_role.member]
}

# The instance of a second region in the hub's own account: no member role to check, but a rule that would forward
# the hub's events to its own bus.
run "member_module_forwarding_in_the_hub_account" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    hub_account_id = "123456789012"
    hub_role_arns  = ["arn:aws:iam::123456789012:role/ecr-scan-reporter-scan-images-eu-west-1"]
    create_role    = false
  }

  expect_failures = [aws_cloudwatch_event_rule.forward]
}

# Inspector's finding events asked for without enhanced scanning (the hub module refuses the same).
run "member_module_finding_events_without_enhanced_scanning" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    hub_account_id          = "123456789012"
    hub_role_arns           = ["arn:aws:iam::123456789012:role/ecr-scan-reporter-scan-images-eu-west-1"]
    enhanced_finding_events = true
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  expect_failures = [aws_cloudwatch_event_rule.forward]
}
