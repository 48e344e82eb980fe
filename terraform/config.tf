# The configuration document the three functions share, and where it is kept (its schema is
# packages/core/src/config/schema.ts; docs/architecture.md says how the functions load it).

locals {
  severities = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"]

  sns_enabled      = var.reporters.sns != null
  sns_create_topic = local.sns_enabled && try(var.reporters.sns.topic_arn, null) == null
  sns_topic_name   = "${var.name_prefix}-findings"
  sns_topic_arn    = !local.sns_enabled ? null : coalesce(var.reporters.sns.topic_arn, "${local.arn_prefix.sns}:${local.sns_topic_name}")

  # A secret option is {"secretArn": …} or {"parameter": …}; the variables give one of the two (validated).
  slack_webhook_ref = var.reporters.slack == null ? null : (
    var.reporters.slack.webhook_url_secret_arn != null ? { secretArn = var.reporters.slack.webhook_url_secret_arn } : { parameter = var.reporters.slack.webhook_url_parameter }
  )
  github_token_ref = var.reporters.github == null ? null : (
    var.reporters.github.token_secret_arn != null ? { secretArn = var.reporters.github.token_secret_arn } : { parameter = var.reporters.github.token_parameter }
  )

  # Each built-in reporter's entry, or null when it is not enabled, with every option (null when unset); the
  # nulls are dropped below, so that the document omits what is unset (the reporters' schemas apply their defaults).
  builtin_reporter_entries = [
    var.reporters.sns == null ? null : {
      use          = "sns"
      repositories = var.reporters.sns.repositories
      minSeverity  = var.reporters.sns.min_severity
      options = {
        topicArn      = local.sns_topic_arn
        subjectPrefix = var.reporters.sns.subject_prefix
        maxFindings   = var.reporters.sns.max_findings
      }
    },
    var.reporters.slack == null ? null : {
      use          = "slack"
      repositories = var.reporters.slack.repositories
      minSeverity  = var.reporters.slack.min_severity
      options = {
        webhookUrl   = local.slack_webhook_ref
        channelLabel = var.reporters.slack.channel_label
        maxFindings  = var.reporters.slack.max_findings
      }
    },
    var.reporters.github == null ? null : {
      use          = "github"
      repositories = var.reporters.github.repositories
      minSeverity  = var.reporters.github.min_severity
      options = {
        owner       = var.reporters.github.owner
        repo        = var.reporters.github.repo
        token       = local.github_token_ref
        baseUrl     = var.reporters.github.base_url
        labels      = var.reporters.github.labels
        assignees   = var.reporters.github.assignees
        maxFindings = var.reporters.github.max_findings
      }
    },
    var.reporters.email == null ? null : {
      use          = "email"
      repositories = var.reporters.email.repositories
      minSeverity  = var.reporters.email.min_severity
      options = {
        from             = var.reporters.email.from
        to               = var.reporters.email.to
        cc               = var.reporters.email.cc
        replyTo          = var.reporters.email.reply_to
        configurationSet = var.reporters.email.configuration_set
        subjectPrefix    = var.reporters.email.subject_prefix
        maxFindings      = var.reporters.email.max_findings
      }
    },
    var.reporters.metrics == null ? null : {
      use          = "metrics"
      repositories = var.reporters.metrics.repositories
      minSeverity  = var.reporters.metrics.min_severity
      options = {
        namespace     = var.reporters.metrics.namespace
        perRepository = var.reporters.metrics.per_repository
      }
    },
  ]

  # custom_reporters is typed `any` (variables.tf): its optional attributes are filled in here. The options go
  # through JSON so that both branches of the conditional are strings, whatever their shape.
  custom_reporters = [for reporter in var.custom_reporters : {
    package         = reporter.package
    layer_arn       = reporter.layer_arn
    options         = jsondecode(try(reporter.options, null) == null ? "{}" : jsonencode(reporter.options))
    repositories    = try(reporter.repositories, null)
    min_severity    = try(reporter.min_severity, null)
    secret_arns     = try(reporter.secret_arns, null) == null ? [] : [for arn in reporter.secret_arns : tostring(arn)]
    parameter_names = try(reporter.parameter_names, null) == null ? [] : [for name in reporter.parameter_names : tostring(name)]
  }]

  custom_reporter_entries = [for reporter in local.custom_reporters : {
    use          = reporter.package
    repositories = reporter.repositories
    minSeverity  = reporter.min_severity
    options      = reporter.options
  }]

  # Built with for expressions over every entry: the entries differ in type (their options do), which a
  # conditional or a list of objects could not unify; jsonencode writes them as given.
  reporter_entries = concat(
    [for entry in local.builtin_reporter_entries : merge(
      { for k, v in entry : k => v if v != null && k != "options" },
      { options = { for k, v in entry.options : k => v if v != null } },
    ) if entry != null],
    [for entry in local.custom_reporter_entries : { for k, v in entry : k => v if v != null }],
  )

  # The size of the document must be known at plan time, to choose between the environment and SSM; but ARNs of
  # resources created alongside (secrets, topics) and custom reporters' options may only be known after apply.
  # So the estimate counts those as placeholders longer than any real value, and everything else as it is.
  arn_placeholder     = format("%-256s", "arn")
  options_placeholder = format("%-512s", "options")
  sizing_reporter_entries = concat(
    [for entry in local.builtin_reporter_entries : merge(
      { for k, v in entry : k => v if v != null && k != "options" },
      { options = { for k, v in merge(entry.options, {
        for key in ["topicArn", "webhookUrl", "token"] : key => local.arn_placeholder if contains(keys(entry.options), key)
      }) : k => v if v != null } },
    ) if entry != null],
    [for reporter in local.custom_reporters : { for k, v in {
      use          = reporter.package
      repositories = reporter.repositories
      minSeverity  = reporter.min_severity
      options      = local.options_placeholder
    } : k => v if v != null }],
  )

  config_document = {
    repositories = { for k, v in {
      include = var.repository_include
      exclude = var.repository_exclude
    } : k => v if v != null }
    scan = { for k, v in {
      expiry           = var.scan_expiry
      onlyPulledWithin = var.only_pulled_within
      maxScansPerRun   = var.max_scans_per_run
    } : k => v if v != null }
    # Every severity is written, null included: a severity the user left out never triggers, which the
    # document must say explicitly (the schema would otherwise apply its own defaults).
    thresholds          = { for severity in local.severities : severity => var.thresholds[severity] }
    notifyOnScanFailure = var.notify_on_scan_failure
    ignore = [for entry in var.ignore : { for k, v in {
      id           = entry.id
      repositories = entry.repositories
      until        = entry.until
      reason       = entry.reason
    } : k => v if v != null }]
    reporters = local.reporter_entries
  }
  config_json          = jsonencode(local.config_document)
  config_size_estimate = length(jsonencode(merge(local.config_document, { reporters = local.sizing_reporter_entries })))

  # Lambda's environment is 4 KB in all, keys and values of every variable together; beyond 3,500 characters the
  # document goes to an SSM parameter, leaving room for the queue URLs and the other variables. `config_storage`
  # can force either (then nothing needs to be known at plan time).
  config_in_parameter = var.config_storage == "parameter" ? true : (
    var.config_storage == "environment" ? false : local.config_size_estimate > 3500
  )
  config_parameter_name = "/${var.name_prefix}/config"
  config_parameter_arn  = "${local.arn_prefix.ssm}:parameter${local.config_parameter_name}"

  config_environment = local.config_in_parameter ? {
    ECR_SCAN_REPORTER_CONFIG_PARAMETER = local.config_parameter_name
    } : {
    ECR_SCAN_REPORTER_CONFIG = local.config_json
  }
}

resource "aws_ssm_parameter" "config" {
  count = local.config_in_parameter ? 1 : 0

  name        = local.config_parameter_name
  description = "ecr-scan-reporter configuration document (too large for the functions' environment)."
  # SecureString only when a customer key is given: the document holds no secret values, only references.
  type   = var.kms_key_arn == null ? "String" : "SecureString"
  key_id = var.kms_key_arn
  # Standard parameters hold 4 KB, advanced ones 8 KB.
  tier  = length(local.config_json) > 4096 ? "Advanced" : "Standard"
  value = local.config_json

  tags = local.tags

  lifecycle {
    precondition {
      condition     = length(local.config_json) <= 8192
      error_message = "The configuration document has ${length(local.config_json)} characters; an SSM parameter holds at most 8,192. Shorten the ignore list (one entry per vulnerability, with a repositories regex instead of one entry per repository) or the custom reporters' options."
    }
  }
}
