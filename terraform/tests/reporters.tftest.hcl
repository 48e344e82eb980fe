# The configuration document and what each reporter adds. The TypeScript test test/terraform-config.test.ts reads
# the documents of the runs "default_reporters" and "every_reporter" from this file's plans and parses them with
# the core schema.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Its plan's document is parsed by test/terraform-config.test.ts, which checks what the functions get by default.
run "default_reporters" {
  command = plan
}

run "every_reporter" {
  command = plan

  variables {
    repository_include     = "^team-"
    repository_exclude     = "sandbox"
    scan_expiry            = "3d"
    only_pulled_within     = "90d"
    max_scans_per_run      = 1000
    thresholds             = { CRITICAL = 0, HIGH = 0, MEDIUM = 10 }
    notify_on_scan_failure = false
    enhanced_scanning      = true
    escalate               = { exploit_available = true }
    ignore = [
      { id = "CVE-2023-4863", repositories = "^legacy/", until = "2027-01-31", reason = "not reachable" },
      { id = "GHSA-xxxx-yyyy-zzzz", reason = "dev tooling only" },
    ]
    reporters = {
      sns = {
        subject_prefix      = "[scans]"
        max_findings        = 20
        email_subscriptions = ["sec@acme.example"]
      }
      slack = {
        webhook_url_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a"
        channel_label          = "team-a prod"
        max_findings           = 15
        repositories           = "^team-a/"
        min_severity           = "HIGH"
        only_fixable           = true
      }
      github = {
        owner           = "acme"
        repo            = "security"
        token_parameter = "/ecr-scan-reporter/github-token"
        base_url        = "https://ghe.acme.example/api/v3"
        labels          = ["ecr-scan", "security"]
        severity_labels = { CRITICAL = "sev:critical", HIGH = "sev:high" }
        assignees       = ["octocat"]
        max_findings    = 100
      }
      email = {
        from              = "ECR scans <scans@mail.acme.example>"
        to                = ["sec@acme.example"]
        cc                = ["ops@acme.example"]
        reply_to          = ["noreply@acme.example"]
        configuration_set = "ecr-scans"
        subject_prefix    = "[ECR]"
        min_severity      = "CRITICAL"
      }
      metrics = { namespace = "Acme/EcrScans" }
    }
    custom_reporters = [
      {
        package      = "@acme/ecr-reporter-teams"
        layer_arn    = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:3"
        options      = { webhookUrl = { secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-webhook" } }
        repositories = "^team-b/"
      },
      {
        package      = "@acme/ecr-reporter-jira"
        layer_arn    = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:3"
        options      = { project = "SEC", labels = ["ecr"], token = { parameter = "/acme/jira-token" } }
        min_severity = "HIGH"
      },
    ]
    templates_layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:ecr-scan-templates:1"
  }

  assert {
    condition = jsondecode(output.config_document) == {
      repositories        = { include = "^team-", exclude = "sandbox" }
      scan                = { expiry = "3d", onlyPulledWithin = "90d", maxScansPerRun = 1000 }
      thresholds          = { CRITICAL = 0, HIGH = 0, MEDIUM = 10, LOW = null, INFORMATIONAL = null, UNDEFINED = null }
      notifyOnScanFailure = false
      intel               = {}
      escalate            = { kev = true, exploitAvailable = true, epssAbove = null }
      ignore = [
        { id = "CVE-2023-4863", repositories = "^legacy/", until = "2027-01-31", reason = "not reachable" },
        { id = "GHSA-xxxx-yyyy-zzzz", reason = "dev tooling only" },
      ]
      reporters = [
        { use = "sns", options = { topicArn = "arn:aws:sns:eu-west-1:123456789012:ecr-scan-reporter-findings", subjectPrefix = "[scans]", maxFindings = 20 } },
        {
          use          = "slack"
          repositories = "^team-a/"
          minSeverity  = "HIGH"
          onlyFixable  = true
          options      = { webhookUrl = { secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" }, channelLabel = "team-a prod", maxFindings = 15 }
        },
        {
          use = "github"
          options = {
            owner          = "acme"
            repo           = "security"
            token          = { parameter = "/ecr-scan-reporter/github-token" }
            baseUrl        = "https://ghe.acme.example/api/v3"
            labels         = ["ecr-scan", "security"]
            severityLabels = { CRITICAL = "sev:critical", HIGH = "sev:high" }
            assignees      = ["octocat"]
            maxFindings    = 100
          }
        },
        {
          use         = "email"
          minSeverity = "CRITICAL"
          options = {
            from             = "ECR scans <scans@mail.acme.example>"
            to               = ["sec@acme.example"]
            cc               = ["ops@acme.example"]
            replyTo          = ["noreply@acme.example"]
            configurationSet = "ecr-scans"
            subjectPrefix    = "[ECR]"
          }
        },
        { use = "metrics", options = { namespace = "Acme/EcrScans" } },
        {
          use          = "@acme/ecr-reporter-teams"
          repositories = "^team-b/"
          options      = { webhookUrl = { secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-webhook" } }
        },
        {
          use         = "@acme/ecr-reporter-jira"
          minSeverity = "HIGH"
          options     = { project = "SEC", labels = ["ecr"], token = { parameter = "/acme/jira-token" } }
        },
      ]
    }
    error_message = "Every reporter is in the document with its routing and camelCase options; unset options are left out."
  }

  assert {
    condition     = local.config_bytes <= 3500 && local.config_size_estimate >= local.config_bytes
    error_message = "This document fits in the environment, and the plan-time estimate is never below its real size."
  }

  assert {
    condition     = (local.config_size_estimate > 3500) == (length(aws_ssm_parameter.config) == 1)
    error_message = "auto keeps the document in SSM exactly when the estimate passes 3,500 bytes."
  }

  assert {
    condition     = aws_lambda_function.report_findings.layers == tolist(["arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:3", "arn:aws:lambda:eu-west-1:123456789012:layer:ecr-scan-templates:1"])
    error_message = "report-findings gets each custom reporter layer once, then the templates layer."
  }

  assert {
    condition = (aws_lambda_function.report_findings.environment[0].variables.ECR_SCAN_REPORTER_REPORTERS_PATH == "/opt/nodejs/node_modules"
    && aws_lambda_function.report_findings.environment[0].variables.ECR_SCAN_REPORTER_TEMPLATES_PATH == "/opt/ecr-scan-reporter/templates")
    error_message = "With layers, report-findings is told where reporters and templates are mounted."
  }

  assert {
    condition = alltrue([for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images] :
      !can(fn.environment[0].variables.ECR_SCAN_REPORTER_REPORTERS_PATH) && length(coalesce(fn.layers, [])) == 0
    ]) && aws_lambda_function.send_digests[0].layers == aws_lambda_function.report_findings.layers
    error_message = "Only report-findings and send-digests, which run the reporters, get the layers."
  }

  assert {
    condition     = aws_lambda_function.report_findings.environment[0].variables.POWERTOOLS_METRICS_NAMESPACE == "Acme/EcrScans"
    error_message = "The functions' metrics go to the metrics reporter's namespace."
  }

  assert {
    condition     = [for s in aws_sns_topic_subscription.email : s.endpoint] == ["sec@acme.example"] && aws_sns_topic_subscription.email["sec@acme.example"].protocol == "email"
    error_message = "The e-mail subscriptions of the topic are created."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy] : [
      for s in jsondecode(policy).Statement : [for action in flatten([s.Action]) : length(regexall("^(secretsmanager|ssm|kms|ses|sns):", action)) == 0]
    ]]))
    error_message = "Only report-findings and send-digests, which run the reporters, may read the reporters' secrets, send e-mail or publish."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] : [
      for s in jsondecode(policy).Statement : [for r in flatten([s.Resource]) : r == "*" ? contains(["ecr:GetRegistryScanningConfiguration", "inspector2:ListFindings", "ses:GetAccount"], s.Action) : can(regex("^arn:aws:[a-z0-9-]+:eu-west-1:123456789012:[^*]", r))]
    ]]))
    error_message = "With every reporter enabled, every resource is still this account's and region's, and the only \"*\" are ecr:GetRegistryScanningConfiguration's, (e-mail) ses:GetAccount's and (enhanced scanning) inspector2:ListFindings'."
  }
}

run "existing_topic" {
  command = plan

  variables {
    reporters = { sns = { topic_arn = "arn:aws:sns:eu-west-1:123456789012:security-alerts" } }
  }

  assert {
    condition     = length(aws_sns_topic.findings) == 0 && output.sns_topic_arn == "arn:aws:sns:eu-west-1:123456789012:security-alerts"
    error_message = "With topic_arn no topic is created and the given one is used."
  }

  assert {
    condition     = jsondecode(output.config_document).reporters == [{ use = "sns", options = { topicArn = "arn:aws:sns:eu-west-1:123456789012:security-alerts" } }]
    error_message = "The sns reporter publishes to the given topic."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s.Resource if s.Sid == "PublishToTopic"]) == "arn:aws:sns:eu-west-1:123456789012:security-alerts"
    error_message = "report-findings may publish to the given topic."
  }
}

# Reporters add up: enabling one keeps the default sns reporter and its topic.
run "reporters_add_up" {
  command = plan

  variables {
    reporters = { slack = { webhook_url_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" } }
  }

  assert {
    condition     = [for r in jsondecode(output.config_document).reporters : r.use] == ["sns", "slack"]
    error_message = "Adding slack keeps the sns reporter."
  }

  assert {
    condition     = length(aws_sns_topic.findings) == 1 && one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s.Resource if s.Sid == "PublishToTopic"]) == "arn:aws:sns:eu-west-1:123456789012:ecr-scan-reporter-findings"
    error_message = "Adding slack keeps the topic, and report-findings may still publish to it."
  }
}

# A reporter with enabled = false is as good as absent: no entry, no topic, no permission.
run "disabled_reporters_are_left_out" {
  command = plan

  variables {
    reporters = {
      sns   = { enabled = false, email_subscriptions = ["sec@acme.example"] }
      slack = { enabled = false, webhook_url_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" }
      email = { enabled = false, from = "scans@acme.example", to = ["sec@acme.example"] }
    }
  }

  assert {
    condition     = jsondecode(output.config_document).reporters == [] && length(aws_sns_topic.findings) == 0 && length(aws_sns_topic_subscription.email) == 0
    error_message = "Disabled reporters get no entry in the document, and the disabled sns reporter no topic or subscription."
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s if contains(["PublishToTopic", "ReadReporterSecrets", "DecryptReporterSecrets", "SendEmail"], s.Sid)]) == 0
    error_message = "Disabled reporters grant nothing."
  }
}

run "no_reporters" {
  command = plan

  variables {
    reporters = { sns = { enabled = false } }
  }

  assert {
    condition     = length(aws_sns_topic.findings) == 0 && output.sns_topic_arn == null && jsondecode(output.config_document).reporters == []
    error_message = "Without reporters: no topic, sns_topic_arn null, an empty reporters list."
  }
}

run "slack_by_parameter_and_github_by_secret" {
  command = plan

  variables {
    reporters = {
      slack  = { webhook_url_parameter = "slack-webhook" }
      github = { owner = "acme", repo = "security", token_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:github-token-AbCdEf" }
    }
  }

  assert {
    condition = [for r in jsondecode(output.config_document).reporters : r.options if r.use != "sns"] == [
      { webhookUrl = { parameter = "slack-webhook" } },
      { owner = "acme", repo = "security", token = { secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:github-token-AbCdEf" } },
    ]
    error_message = "Each secret option is a {parameter} or {secretArn} reference."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s.Resource if s.Sid == "ReadReporterParameters"]) == ["arn:aws:ssm:eu-west-1:123456789012:parameter/slack-webhook"]
    error_message = "A parameter name without a leading slash maps to parameter/<name>."
  }
}

# severity_labels reaches the GitHub reporter's options as severityLabels, as written (every_reporter), {} included:
# no severity labels. Left out when null (slack_by_parameter_and_github_by_secret), so the reporter's defaults apply.
run "github_severity_labels" {
  command = plan

  variables {
    reporters = {
      sns    = { enabled = false }
      github = { owner = "acme", repo = "security", token_parameter = "/gh", severity_labels = {} }
    }
  }

  assert {
    condition     = jsondecode(output.config_document).reporters[0].options.severityLabels == {}
    error_message = "severity_labels = {} reaches the reporter as an empty map: no severity labels."
  }
}

run "sns_message_structure" {
  command = plan

  variables {
    reporters = { sns = { message_structure = "json" } }
  }

  assert {
    condition     = jsondecode(output.config_document).reporters[0].options.messageStructure == "json"
    error_message = "message_structure reaches the sns reporter's options as messageStructure."
  }
}

# notify reaches each reporter's entry when given, built-in or custom, and is left out otherwise (the core schema's
# default, "changes", then applies).
run "notify_per_reporter" {
  command = plan

  variables {
    reporters = {
      sns     = { notify = "always" }
      slack   = { webhook_url_parameter = "/slack", notify = "changes" }
      github  = { owner = "acme", repo = "security", token_parameter = "/gh", notify = "always" }
      email   = { from = "scans@acme.example", to = ["sec@acme.example"] }
      metrics = { notify = "always" }
    }
    custom_reporters = [
      { package = "@acme/ecr-reporter-teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", notify = "always" },
      { package = "@acme/ecr-reporter-jira", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1" },
    ]
  }

  assert {
    condition = [for r in jsondecode(output.config_document).reporters : [r.use, lookup(r, "notify", null)]] == [
      ["sns", "always"],
      ["slack", "changes"],
      ["github", "always"],
      ["email", null],
      ["metrics", "always"],
      ["@acme/ecr-reporter-teams", "always"],
      ["@acme/ecr-reporter-jira", null],
    ]
    error_message = "Each entry carries the notify given for its reporter, and none when none is given."
  }

  assert {
    condition     = alltrue([for r in jsondecode(output.config_document).reporters : !can(r.options.notify)])
    error_message = "notify is a setting of the entry, like minSeverity, not one of the reporter's options."
  }
}

# digest reaches each reporter's entry when given (false keeps it out of the digests), built-in or custom, and is
# left out otherwise: the reporter then gets a digest when it supports them.
run "digest_per_reporter" {
  command = plan

  variables {
    reporters = {
      sns     = { digest = false }
      slack   = { webhook_url_parameter = "/slack", digest = true }
      metrics = {}
    }
    custom_reporters = [
      { package = "@acme/ecr-reporter-teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", digest = false },
      { package = "@acme/ecr-reporter-jira", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1" },
    ]
  }

  assert {
    condition = [for r in jsondecode(output.config_document).reporters : [r.use, lookup(r, "digest", null)]] == [
      ["sns", false],
      ["slack", true],
      ["metrics", null],
      ["@acme/ecr-reporter-teams", false],
      ["@acme/ecr-reporter-jira", null],
    ]
    error_message = "Each entry carries the digest setting given for its reporter, and none when none is given."
  }
}

# only_fixable reaches each reporter's entry as onlyFixable when given, built-in or custom, and is left out
# otherwise: the entry then gets every finding.
run "only_fixable_per_reporter" {
  command = plan

  variables {
    reporters = {
      sns     = { only_fixable = true }
      slack   = { webhook_url_parameter = "/slack", only_fixable = false }
      github  = { owner = "acme", repo = "security", token_parameter = "/gh", only_fixable = true }
      email   = { from = "scans@acme.example", to = ["sec@acme.example"], only_fixable = true }
      metrics = {}
    }
    custom_reporters = [
      { package = "@acme/ecr-reporter-teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", only_fixable = true },
      { package = "@acme/ecr-reporter-jira", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1" },
    ]
  }

  assert {
    condition = [for r in jsondecode(output.config_document).reporters : [r.use, lookup(r, "onlyFixable", null)]] == [
      ["sns", true],
      ["slack", false],
      ["github", true],
      ["email", true],
      ["metrics", null],
      ["@acme/ecr-reporter-teams", true],
      ["@acme/ecr-reporter-jira", null],
    ]
    error_message = "Each entry carries the only_fixable given for its reporter as onlyFixable, and none when none is given."
  }

  assert {
    condition     = alltrue([for r in jsondecode(output.config_document).reporters : !can(r.options.onlyFixable) && !can(r.options.only_fixable)])
    error_message = "onlyFixable is a setting of the entry, like notify, not one of the reporter's options."
  }

  assert {
    condition     = local.config_size_estimate >= local.config_bytes
    error_message = "The plan-time size estimate counts onlyFixable too: it is never below the document's real size."
  }
}

run "custom_reporter_digest_must_be_a_boolean" {
  command = plan

  variables {
    custom_reporters = [
      { package = "@acme/ecr-reporter-teams", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme:1", digest = ["yes"] },
    ]
  }

  expect_failures = [var.custom_reporters]
}
