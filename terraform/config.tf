# The configuration document the three functions share, and where it is kept (its schema is
# packages/core/src/config/schema.ts; docs/architecture.md says how the functions load it).

locals {
  severities = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"]

  # The built-in reporters that run: each one's settings, or null when it is absent or `enabled = false`. sns is
  # present unless disabled (variables.tf), so enabling another reporter never removes the topic. Everything below
  # (and the policies, iam.tf) reads this, never var.reporters.
  reporters = {
    sns     = var.reporters.sns.enabled ? var.reporters.sns : null
    slack   = try(var.reporters.slack.enabled, false) ? var.reporters.slack : null
    github  = try(var.reporters.github.enabled, false) ? var.reporters.github : null
    email   = try(var.reporters.email.enabled, false) ? var.reporters.email : null
    metrics = try(var.reporters.metrics.enabled, false) ? var.reporters.metrics : null
  }

  sns_enabled      = local.reporters.sns != null
  sns_create_topic = local.sns_enabled && try(local.reporters.sns.topic_arn, null) == null
  sns_topic_name   = "${var.name_prefix}-findings"
  sns_topic_arn    = !local.sns_enabled ? null : coalesce(local.reporters.sns.topic_arn, "${local.arn_prefix.sns}:${local.sns_topic_name}")

  # A secret option is {"secretArn": …} or {"parameter": …}; the variables give one of the two (validated).
  slack_webhook_ref = local.reporters.slack == null ? null : (
    local.reporters.slack.webhook_url_secret_arn != null ? { secretArn = local.reporters.slack.webhook_url_secret_arn } : { parameter = local.reporters.slack.webhook_url_parameter }
  )
  github_token_ref = local.reporters.github == null ? null : (
    local.reporters.github.token_secret_arn != null ? { secretArn = local.reporters.github.token_secret_arn } : { parameter = local.reporters.github.token_parameter }
  )

  # Each built-in reporter's entry, or null when it is not enabled, with every option (null when unset); the
  # nulls are dropped below, so that the document omits what is unset (the reporters' schemas apply their defaults,
  # and the core schema notify's, "changes"; without onlyFixable an entry gets every finding).
  builtin_reporter_entries = [
    local.reporters.sns == null ? null : {
      use          = "sns"
      repositories = local.reporters.sns.repositories
      accounts     = local.reporters.sns.accounts
      minSeverity  = local.reporters.sns.min_severity
      notify       = local.reporters.sns.notify
      digest       = local.reporters.sns.digest
      onlyFixable  = local.reporters.sns.only_fixable
      options = {
        topicArn         = local.sns_topic_arn
        subjectPrefix    = local.reporters.sns.subject_prefix
        messageStructure = local.reporters.sns.message_structure
        maxFindings      = local.reporters.sns.max_findings
      }
    },
    local.reporters.slack == null ? null : {
      use          = "slack"
      repositories = local.reporters.slack.repositories
      accounts     = local.reporters.slack.accounts
      minSeverity  = local.reporters.slack.min_severity
      notify       = local.reporters.slack.notify
      digest       = local.reporters.slack.digest
      onlyFixable  = local.reporters.slack.only_fixable
      options = {
        webhookUrl   = local.slack_webhook_ref
        channelLabel = local.reporters.slack.channel_label
        maxFindings  = local.reporters.slack.max_findings
      }
    },
    local.reporters.github == null ? null : {
      use          = "github"
      repositories = local.reporters.github.repositories
      accounts     = local.reporters.github.accounts
      minSeverity  = local.reporters.github.min_severity
      notify       = local.reporters.github.notify
      digest       = local.reporters.github.digest
      onlyFixable  = local.reporters.github.only_fixable
      options = {
        owner          = local.reporters.github.owner
        repo           = local.reporters.github.repo
        token          = local.github_token_ref
        baseUrl        = local.reporters.github.base_url
        labels         = local.reporters.github.labels
        severityLabels = local.reporters.github.severity_labels
        assignees      = local.reporters.github.assignees
        maxFindings    = local.reporters.github.max_findings
      }
    },
    local.reporters.email == null ? null : {
      use          = "email"
      repositories = local.reporters.email.repositories
      accounts     = local.reporters.email.accounts
      minSeverity  = local.reporters.email.min_severity
      notify       = local.reporters.email.notify
      digest       = local.reporters.email.digest
      onlyFixable  = local.reporters.email.only_fixable
      options = {
        from             = local.reporters.email.from
        to               = local.reporters.email.to
        cc               = local.reporters.email.cc
        replyTo          = local.reporters.email.reply_to
        configurationSet = local.reporters.email.configuration_set
        subjectPrefix    = local.reporters.email.subject_prefix
        maxFindings      = local.reporters.email.max_findings
      }
    },
    local.reporters.metrics == null ? null : {
      use          = "metrics"
      repositories = local.reporters.metrics.repositories
      accounts     = local.reporters.metrics.accounts
      minSeverity  = local.reporters.metrics.min_severity
      notify       = local.reporters.metrics.notify
      digest       = local.reporters.metrics.digest
      onlyFixable  = local.reporters.metrics.only_fixable
      options = {
        namespace     = local.reporters.metrics.namespace
        perRepository = local.reporters.metrics.per_repository
      }
    },
  ]

  # custom_reporters is typed `any` (variables.tf): its optional attributes are filled in here. The options go
  # through JSON so that both branches of the conditional are strings, whatever their shape.
  custom_reporters = [for reporter in var.custom_reporters : {
    package      = reporter.package
    layer_arn    = reporter.layer_arn
    options      = jsondecode(try(reporter.options, null) == null ? "{}" : jsonencode(reporter.options))
    repositories = try(reporter.repositories, null)
    accounts     = try(reporter.accounts, null) == null ? null : [for a in reporter.accounts : tostring(a)]
    min_severity = try(reporter.min_severity, null)
    notify       = try(reporter.notify, null)
    digest       = try(reporter.digest, null) == null ? null : tobool(reporter.digest)
    only_fixable = try(reporter.only_fixable, null) == null ? null : tobool(reporter.only_fixable)
  }]

  custom_reporter_entries = [for reporter in local.custom_reporters : {
    use          = reporter.package
    repositories = reporter.repositories
    accounts     = reporter.accounts
    minSeverity  = reporter.min_severity
    notify       = reporter.notify
    digest       = reporter.digest
    onlyFixable  = reporter.only_fixable
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
      accounts     = reporter.accounts
      minSeverity  = reporter.min_severity
      notify       = reporter.notify
      digest       = reporter.digest
      onlyFixable  = reporter.only_fixable
      options      = local.options_placeholder
    } : k => v if v != null }],
  )

  # intel: a source turned off is written as null (the schema's "off"); a URL given is written; a source on
  # without a URL is left out, so that the functions' own default (CISA's feed, FIRST's API) applies and the
  # module does not pin those addresses.
  intel = { for key, source in {
    kevUrl  = { enabled = var.intel.kev_enabled, url = var.intel.kev_url }
    epssUrl = { enabled = var.intel.epss_enabled, url = var.intel.epss_url }
  } : key => source.enabled ? source.url : null if !source.enabled || source.url != null }

  # With member accounts (or a name for this one), `accounts`: the registries covered (accounts.tf).
  config_document = merge(local.config_accounts, {
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
    intel = local.intel
    # Written in full, like the thresholds: the variable's defaults are the schema's, and the document says what
    # makes a report due without the reader having to know them.
    escalate = {
      kev              = var.escalate.kev
      exploitAvailable = var.escalate.exploit_available
      epssAbove        = var.escalate.epss_above
    }
    reporters = local.reporter_entries
  })
  config_json = jsonencode(local.config_document)

  # AWS's limits are in bytes (UTF-8), while Terraform's length() counts characters: the byte count is read off
  # the base64 encoding of the text, 3 bytes for every 4 characters less the padding ("=" only ever pads).
  config_base64 = {
    document = base64encode(local.config_json)
    estimate = base64encode(jsonencode(merge(local.config_document, { reporters = local.sizing_reporter_entries })))
  }
  config_sizes         = { for key, text in local.config_base64 : key => length(text) * 3 / 4 - length(regexall("=", text)) }
  config_bytes         = local.config_sizes.document
  config_size_estimate = local.config_sizes.estimate

  # Lambda's environment is 4 KB in all, keys and values of every variable together; beyond 3,500 bytes the
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
  tier  = local.config_bytes > 4096 ? "Advanced" : "Standard"
  value = local.config_json

  tags = local.tags

  lifecycle {
    precondition {
      condition     = local.config_bytes <= 8192
      error_message = "The configuration document has ${local.config_bytes} bytes; an SSM parameter holds at most 8,192. Shorten the ignore list (one entry per vulnerability, with a repositories regex instead of one entry per repository) or the custom reporters' options."
    }
  }
}
