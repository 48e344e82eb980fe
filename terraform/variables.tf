# Validations here check what a plan must catch: types and shapes, enums, the ARNs and names the IAM policies
# are built from, and AWS's limits on the resources the module creates. The limits of the configuration document's values (lengths,
# counts, ranges, formats) are the functions' schemas' job (packages/core/src/config/schema.ts and each reporter's
# options.ts): the functions check them at cold start, and test/terraform-config.test.ts checks every example's
# document with those schemas. The regular expressions are checked once, in regexes.tf.
#
# Every input is in this one file (over 400 lines): the Terraform convention, and the file the README's inputs
# table is generated from (scripts/terraform-check.mjs).

variable "name_prefix" {
  description = "Prefix of every resource name (functions, queues, rules, topic, roles, log groups, SSM parameter). Use a different prefix for a second instance in the same region."
  type        = string
  default     = "ecr-scan-reporter"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,31}$", var.name_prefix))
    error_message = "name_prefix must start with a letter and have at most 32 letters, digits, hyphens or underscores (role names append the function and the region and must stay within IAM's 64 characters), e.g. \"ecr-scan-reporter\"."
  }
}

variable "repository_include" {
  description = "Regular expression (JavaScript syntax, see the note on RE2 in the README); only repositories whose name matches are scanned. null: all repositories."
  type        = string
  default     = null
}

variable "repository_exclude" {
  description = "Regular expression (JavaScript syntax, see the note on RE2 in the README); repositories whose name matches are never scanned. null: none excluded."
  type        = string
  default     = null
}

variable "scan_expiry" {
  description = "A COMPLETE scan older than this is redone by the scheduler: a duration like 7d, 12h or 30m."
  type        = string
  default     = "7d"
  nullable    = false
}

variable "only_pulled_within" {
  description = "When set, images not pulled (or, never pulled, not pushed) within this long are not rescanned: a duration like 90d. null: every image is kept scanned."
  type        = string
  default     = null
}

variable "max_scans_per_run" {
  description = "The most scans one scheduled run starts in one repository; the rest wait for the next run (ECR allows 100,000 scans per registry per 24 h)."
  type        = number
  default     = 5000
  nullable    = false
}

variable "schedule_expression" {
  description = "EventBridge schedule expression of the rescan run, e.g. \"rate(1 day)\" or \"cron(0 3 * * ? *)\" (UTC)."
  type        = string
  default     = "rate(1 day)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\([^()]+\\))$", var.schedule_expression))
    error_message = "schedule_expression must be an EventBridge schedule expression like \"rate(1 day)\", \"rate(12 hours)\" or \"cron(0 3 * * ? *)\"."
  }
}

variable "digest_schedule_expression" {
  description = "EventBridge schedule expression of the digests (UTC): send-digests then sends each reporter entry that takes digests one summary of the registry per period (open findings by severity and their change, the images over the thresholds, new and fixed findings, the latest scheduled run's coverage), at most once per period. The default is Mondays at 08:00 UTC. null: no digests, and no send-digests function, rule or DLQ. Digests are built from the findings ledger: with ledger_enabled = false there are none either."
  type        = string
  default     = "cron(0 8 ? * MON *)"

  validation {
    condition     = var.digest_schedule_expression == null ? true : can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\([^()]+\\))$", var.digest_schedule_expression))
    error_message = "digest_schedule_expression must be an EventBridge schedule expression like \"cron(0 8 ? * MON *)\" or \"rate(7 days)\", or null for no digests."
  }
}

variable "thresholds" {
  description = "Findings tolerated per severity before a report is due; a severity left out (or null) never triggers a report. The object given replaces the default as a whole."
  type = object({
    CRITICAL      = optional(number)
    HIGH          = optional(number)
    MEDIUM        = optional(number)
    LOW           = optional(number)
    INFORMATIONAL = optional(number)
    UNDEFINED     = optional(number)
  })
  default  = { CRITICAL = 0, HIGH = 0 }
  nullable = false
}

variable "ignore" {
  description = "Findings removed before counting: id (CVE-…, GHSA-…), optional repositories regex, optional until date (YYYY-MM-DD, inclusive, UTC), and the reason (required, for the next reader)."
  type = list(object({
    id           = string
    repositories = optional(string)
    until        = optional(string)
    reason       = string
  }))
  default  = []
  nullable = false
}

variable "notify_on_scan_failure" {
  description = "A FAILED basic scan produces a failure report (and its ECR Image Scan events are routed to the report queue)."
  type        = bool
  default     = true
  nullable    = false
}

variable "intel" {
  description = "Threat intelligence the findings are checked against (the document's intel): CISA's Known Exploited Vulnerabilities catalog (KEV) and FIRST's EPSS scores. kev_url, epss_url: an http(s) URL serving the same format, e.g. a mirror; null (the default): the product's own, CISA's JSON feed and FIRST's API (left out of the document, so the functions' default applies). kev_enabled, epss_enabled = false: that source is off (null in the document; a URL given is then ignored). The functions reach them over outbound HTTPS: in a VPC without a NAT gateway each call gives up after 5 s and reports go out without that source, saying so. See \"Outbound HTTPS for threat intel\" in the README: give the subnets a NAT gateway, point the URLs at a mirror the VPC reaches, or turn the sources off."
  type = object({
    kev_enabled  = optional(bool, true)
    kev_url      = optional(string)
    epss_enabled = optional(bool, true)
    epss_url     = optional(string)
  })
  default  = {}
  nullable = false

  # No credentials in the URL: the document is not a place for secrets (it sits in the functions' environment).
  validation {
    condition     = alltrue([for url in [var.intel.kev_url, var.intel.epss_url] : url == null ? true : can(regex("^(?i:https?)://[^\\s/?#@]+([/?#]\\S*)?$", url))])
    error_message = "intel.kev_url and intel.epss_url must be http(s) URLs without credentials, like https://mirror.acme.example/kev.json, or null for the product's defaults (CISA's KEV feed, FIRST's EPSS API)."
  }
}

variable "escalate" {
  description = "Findings that make a report due whatever the thresholds say (the document's escalate, written in full): kev (default true) a finding on CISA's KEV catalog; exploit_available (default false) a finding Amazon Inspector says has a known exploit (enhanced scanning); epss_above (a number from 0 to 1; null, the default: never) a finding whose EPSS score is above it. kev and epss_above need that intel source on (intel)."
  type = object({
    kev               = optional(bool, true)
    exploit_available = optional(bool, false)
    epss_above        = optional(number)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.escalate.epss_above == null ? true : (var.escalate.epss_above >= 0 && var.escalate.epss_above <= 1)
    error_message = "escalate.epss_above must be an EPSS score from 0 to 1 (e.g. 0.5 for 50 %), or null for never."
  }
}

variable "config_storage" {
  description = "Where the functions get the configuration document: \"auto\" (the environment, or an SSM parameter /<name_prefix>/config when a plan-time estimate of its size passes 3,500 bytes of Lambda's 4 KB environment), \"environment\" or \"parameter\"."
  type        = string
  default     = "auto"
  nullable    = false

  validation {
    condition     = contains(["auto", "environment", "parameter"], var.config_storage)
    error_message = "config_storage must be \"auto\", \"environment\" or \"parameter\"."
  }
}

variable "enhanced_scanning" {
  description = "The registry uses enhanced scanning (Amazon Inspector): routes Inspector2 Scan events of ECR images (and, see enhanced_finding_events, Inspector2 Finding events) to the report queue, and grants report-findings inspector2:ListFindings, which DescribeImageScanFindings needs to return enhanced findings. That action has no resource type, so it is granted on \"*\". false: only ECR Image Scan events are routed."
  type        = bool
  default     = false
  nullable    = false
}

variable "enhanced_finding_events" {
  description = "With enhanced_scanning, also route Inspector2 Finding events of ECR images (one per finding created, updated or closed) to the report queue, so Inspector's continuous rescans are reported, not only an image's initial scan. null (the default): true with enhanced_scanning. true without enhanced_scanning fails the plan."
  type        = bool
  default     = null
}

variable "reporters" {
  description = "The built-in reporters; each one is enabled by being present, unless its enabled = false. sns is present unless disabled (sns = { enabled = false }), so reporters add up: { slack = {…} } keeps the sns topic. sns: a topic created by the module (<name_prefix>-findings) unless topic_arn names an existing one. Secrets are given as a Secrets Manager ARN or an SSM parameter name, never as values. repositories (regex), accounts (account ids or names of the accounts the deployment covers, see member_accounts) and min_severity route reports to a reporter. notify: \"changes\" (null, the default: a due report is sent when it is the first for the image reference or brings new findings, a raised severity or a verdict change, and one notice when a reference is back within the thresholds) or \"always\" (every due report); either way a scan is sent at most once per reporter, and without the ledger every due report is sent. digest: false keeps a reporter out of the periodic digest (digest_schedule_expression; null, the default, sends it one). only_fixable: true sends a reporter only the findings that have a fix (a fixed-in version, or Amazon Inspector's fixAvailable YES or PARTIAL), and no report when none is left; null (the default): every finding. github: severity_labels maps a severity to the label an issue gets when that is its highest severity (the reporter removes the map's other labels as the findings change), e.g. { CRITICAL = \"sev:critical\", HIGH = \"sev:high\" }; {} for no severity labels; null (the default): severity:critical, severity:high, severity:medium and severity:low. sns: message_structure = json publishes per-protocol texts, which SNS delivers without the message attributes filter policies test (default: string). metrics: per_repository = false keeps Repository out of the metric dimensions (7 CloudWatch custom metrics in all instead of 7 per repository)."
  type = object({
    sns = optional(object({
      enabled             = optional(bool, true)
      topic_arn           = optional(string)
      email_subscriptions = optional(list(string), [])
      subject_prefix      = optional(string)
      message_structure   = optional(string)
      max_findings        = optional(number)
      repositories        = optional(string)
      accounts            = optional(list(string))
      min_severity        = optional(string)
      notify              = optional(string)
      digest              = optional(bool)
      only_fixable        = optional(bool)
    }), {})
    slack = optional(object({
      enabled                = optional(bool, true)
      webhook_url_secret_arn = optional(string)
      webhook_url_parameter  = optional(string)
      channel_label          = optional(string)
      max_findings           = optional(number)
      repositories           = optional(string)
      accounts               = optional(list(string))
      min_severity           = optional(string)
      notify                 = optional(string)
      digest                 = optional(bool)
      only_fixable           = optional(bool)
    }))
    github = optional(object({
      enabled          = optional(bool, true)
      owner            = string
      repo             = string
      token_secret_arn = optional(string)
      token_parameter  = optional(string)
      base_url         = optional(string)
      labels           = optional(list(string))
      severity_labels  = optional(map(string))
      assignees        = optional(list(string))
      max_findings     = optional(number)
      repositories     = optional(string)
      accounts         = optional(list(string))
      min_severity     = optional(string)
      notify           = optional(string)
      digest           = optional(bool)
      only_fixable     = optional(bool)
    }))
    email = optional(object({
      enabled           = optional(bool, true)
      from              = string
      to                = list(string)
      cc                = optional(list(string))
      reply_to          = optional(list(string))
      configuration_set = optional(string)
      subject_prefix    = optional(string)
      max_findings      = optional(number)
      repositories      = optional(string)
      accounts          = optional(list(string))
      min_severity      = optional(string)
      notify            = optional(string)
      digest            = optional(bool)
      only_fixable      = optional(bool)
    }))
    metrics = optional(object({
      enabled        = optional(bool, true)
      namespace      = optional(string, "EcrScanReporter")
      per_repository = optional(bool)
      repositories   = optional(string)
      accounts       = optional(list(string))
      min_severity   = optional(string)
      notify         = optional(string)
      digest         = optional(bool)
      only_fixable   = optional(bool)
    }))
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for name, reporter in var.reporters : reporter == null ? true : (reporter.min_severity == null ? true : contains(["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"], reporter.min_severity))])
    error_message = "reporters.<name>.min_severity must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED (upper case), or null for every report."
  }

  validation {
    condition     = alltrue([for name, reporter in var.reporters : reporter == null ? true : (reporter.notify == null ? true : contains(["changes", "always"], reporter.notify))])
    error_message = "reporters.<name>.notify must be \"changes\" (send what changed, the default when null) or \"always\" (every due report)."
  }

  validation {
    condition     = var.reporters.sns == null ? true : (var.reporters.sns.message_structure == null ? true : contains(["string", "json"], var.reporters.sns.message_structure))
    error_message = "reporters.sns.message_structure must be \"string\" (one text with message attributes, the default) or \"json\" (per-protocol texts, no message attributes)."
  }

  validation {
    condition = var.reporters.sns == null ? true : (
      (var.reporters.sns.topic_arn == null ? true : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", var.reporters.sns.topic_arn))) &&
      alltrue([for address in var.reporters.sns.email_subscriptions : can(regex("^[^@\\s<>]+@[^@\\s<>]+\\.[^@\\s<>]+$", address))])
    )
    error_message = "reporters.sns: topic_arn must be an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:ecr-findings (or null to create one); email_subscriptions plain addresses like sec@acme.example."
  }

  validation {
    condition     = var.reporters.slack == null ? true : ((var.reporters.slack.webhook_url_secret_arn == null) != (var.reporters.slack.webhook_url_parameter == null))
    error_message = "reporters.slack needs exactly one of webhook_url_secret_arn (a Secrets Manager secret ARN) or webhook_url_parameter (an SSM SecureString parameter name) holding the webhook URL; never the URL itself."
  }

  validation {
    condition = var.reporters.slack == null ? true : (
      (var.reporters.slack.webhook_url_secret_arn == null ? true : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.reporters.slack.webhook_url_secret_arn))) &&
      (var.reporters.slack.webhook_url_parameter == null ? true : can(regex("^(/[\\w.-]+)+$|^[\\w.-]+$", var.reporters.slack.webhook_url_parameter)))
    )
    error_message = "reporters.slack: webhook_url_secret_arn must be like arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME; webhook_url_parameter an SSM parameter name like /ecr-scan-reporter/slack-webhook."
  }

  # The severities are an enum of the GitHub reporter's options schema; the labels' own limits are its schema's.
  validation {
    condition     = var.reporters.github == null ? true : (var.reporters.github.severity_labels == null ? true : length(setsubtract(keys(var.reporters.github.severity_labels), ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"])) == 0)
    error_message = "reporters.github.severity_labels must be keyed by severity: CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED (upper case), e.g. { CRITICAL = \"sev:critical\" }; {} for no severity labels."
  }

  validation {
    condition     = var.reporters.github == null ? true : ((var.reporters.github.token_secret_arn == null) != (var.reporters.github.token_parameter == null))
    error_message = "reporters.github needs exactly one of token_secret_arn (a Secrets Manager secret ARN) or token_parameter (an SSM SecureString parameter name) holding the token; never the token itself."
  }

  validation {
    condition = var.reporters.github == null ? true : (
      (var.reporters.github.token_secret_arn == null ? true : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.reporters.github.token_secret_arn))) &&
      (var.reporters.github.token_parameter == null ? true : can(regex("^(/[\\w.-]+)+$|^[\\w.-]+$", var.reporters.github.token_parameter)))
    )
    error_message = "reporters.github: token_secret_arn must be like arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME; token_parameter an SSM parameter name like /ecr-scan-reporter/github-token."
  }

  # The sender and the configuration set name the SES resources of report-findings' policy (iam.tf).
  validation {
    condition = var.reporters.email == null ? true : (
      can(regex("^[^@\\s<>]+@[^@\\s<>]+\\.[^@\\s<>]+$", try(regex("<([^<>]+)>\\s*$", var.reporters.email.from)[0], trimspace(var.reporters.email.from)))) &&
      (var.reporters.email.configuration_set == null ? true : can(regex("^[A-Za-z0-9_-]{1,64}$", var.reporters.email.configuration_set)))
    )
    error_message = "reporters.email: from must be an address like scans@acme.example or \"ECR scans <scans@acme.example>\" (SES must have it or its domain verified); configuration_set 1-64 letters, digits, hyphens or underscores."
  }
}

variable "custom_reporters" {
  description = "Reporter packages shipped in Lambda layers (under nodejs/node_modules/<package>); each one is a list element { package = npm name, layer_arn = versioned layer ARN, options = its own options as written in the config document (default {}), repositories = routing regex, accounts = routing account ids or names (list), min_severity = routing severity, notify = \"changes\" (default) or \"always\" as for the built-in reporters, digest = false to leave it out of digests (default: a digest when the package supports them), only_fixable = true to send it only findings that have a fix (default: every finding) }. The layer is added to report-findings and send-digests, and they may read exactly the secrets the options reference, at any depth: { secretArn = Secrets Manager secret ARN } (with an optional jsonKey) and { parameter = SSM parameter name }. An attribute not listed here (a misspelt key) fails the plan."
  # `any`, not list(object({ options = optional(any), … })): Terraform gives all elements of a list one type, so
  # two reporters whose options differ in shape could not be passed together ("cannot find a common base type"),
  # and converting to an object type silently drops the attributes it does not declare, so a misspelt key would
  # be lost without a word. The shape is checked below instead, and an unknown attribute is named.
  type     = any
  default  = []
  nullable = false

  validation {
    condition = can(concat(var.custom_reporters, [])) && alltrue([for reporter in var.custom_reporters : try(
      can(keys(reporter)) && can(tostring(reporter.package)) && can(tostring(reporter.layer_arn))
      && (try(reporter.options, null) == null || can(keys(reporter.options)))
      && (try(reporter.repositories, null) == null || can(tostring(reporter.repositories)))
      && (try(reporter.accounts, null) == null || (can(length(reporter.accounts)) && try(length(reporter.accounts) > 0 && alltrue([for a in reporter.accounts : can(tostring(a))]), false)))
      && (try(reporter.min_severity, null) == null || can(tostring(reporter.min_severity)))
      && (try(reporter.notify, null) == null || can(tostring(reporter.notify)))
      && (try(reporter.digest, null) == null || can(tobool(reporter.digest)))
      && (try(reporter.only_fixable, null) == null || can(tobool(reporter.only_fixable)))
    , false)])
    error_message = "custom_reporters must be a list of objects with package and layer_arn (strings) and optionally options (an object), repositories, min_severity, notify (strings), accounts (a non-empty list of account ids or names), digest and only_fixable (booleans)."
  }

  # A misspelt key is named (the rule above leaves it alone: it checks the attributes it knows). The lists the
  # grant was once taken from have a rule of their own, which says what replaced them.
  validation {
    condition = try(alltrue([for reporter in var.custom_reporters : length(setsubtract(keys(reporter), [
      "package", "layer_arn", "options", "repositories", "accounts", "min_severity", "notify", "digest", "only_fixable", "secret_arns", "parameter_names",
    ])) == 0]), true)
    error_message = "custom_reporters has attributes it does not know, misspelt perhaps: ${try(join(", ", flatten([for i, reporter in var.custom_reporters : [for key in setsubtract(keys(reporter), ["package", "layer_arn", "options", "repositories", "accounts", "min_severity", "notify", "digest", "only_fixable", "secret_arns", "parameter_names"]) : "custom_reporters[${i}].${key}"]])), "")}. A custom reporter's attributes are package, layer_arn, options, repositories, accounts, min_severity, notify, digest and only_fixable; the reporter's own settings go in options."
  }

  validation {
    condition     = try(alltrue([for reporter in var.custom_reporters : !contains(keys(reporter), "secret_arns") && !contains(keys(reporter), "parameter_names")]), true)
    error_message = "custom_reporters[].secret_arns and parameter_names are gone: report-findings and send-digests may now read exactly the secrets referenced in the reporter's options, { secretArn = \"arn:aws:secretsmanager:…\" } or { parameter = \"/…\" }, at any depth. Delete the list (and put each secret the reporter reads in its options, as its options schema asks)."
  }

  validation {
    condition     = alltrue([for reporter in var.custom_reporters : try(can(regex("^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$", reporter.package)) && !contains(["sns", "slack", "github", "email", "metrics"], reporter.package), false)])
    error_message = "custom_reporters[].package must be an npm package name like \"@acme/ecr-reporter-teams\" (lower case) and not the name of a built-in reporter (configure those in reporters)."
  }

  validation {
    condition     = alltrue([for reporter in var.custom_reporters : try(can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", reporter.layer_arn)), false)])
    error_message = "custom_reporters[].layer_arn must be a versioned layer ARN like arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:3."
  }

  validation {
    condition     = try(length(distinct([for reporter in var.custom_reporters : reporter.layer_arn])) <= 4, false)
    error_message = "custom_reporters may use at most 4 distinct layers (Lambda allows 5 per function; one is kept for templates_layer_arn): ship several reporter packages in one layer."
  }

  validation {
    condition     = alltrue([for reporter in var.custom_reporters : try(try(reporter.min_severity, null) == null ? true : contains(["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"], reporter.min_severity), false)])
    error_message = "custom_reporters[].min_severity must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED (upper case), or null."
  }

  validation {
    condition     = alltrue([for reporter in var.custom_reporters : try(try(reporter.notify, null) == null ? true : contains(["changes", "always"], reporter.notify), false)])
    error_message = "custom_reporters[].notify must be \"changes\" (send what changed, the default when null) or \"always\" (every due report)."
  }
}

variable "templates_layer_arn" {
  description = "A Lambda layer with template overrides under ecr-scan-reporter/templates/ (mounted at /opt/ecr-scan-reporter/templates), e.g. email/body.html.hbs. null: the shipped templates."
  type        = string
  default     = null

  validation {
    condition     = var.templates_layer_arn == null ? true : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.templates_layer_arn))
    error_message = "templates_layer_arn must be a versioned layer ARN like arn:aws:lambda:eu-west-1:123456789012:layer:ecr-scan-templates:1, or null."
  }
}

variable "kms_key_arn" {
  description = "A customer managed KMS key for the queues, the log groups (unless log_kms_key_arn), the SNS topic created, the functions' environment, the config parameter and the ledger table (unless ledger_kms_key_arn). Its key policy must let EventBridge (events.amazonaws.com), CloudWatch Logs (logs.<region>.amazonaws.com) and SNS use it. null: SQS-managed SSE, AWS-owned keys."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a key ARN like arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias: IAM policies and CloudWatch Logs need the key ARN), or null."
  }
}

variable "log_kms_key_arn" {
  description = "A customer managed KMS key for the functions' log groups only (its key policy must let logs.<region>.amazonaws.com use it). null: kms_key_arn (or CloudWatch Logs' own encryption without one)."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a key ARN like arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias), or null."
  }
}

variable "kms_key_arns" {
  description = "KMS keys the module does not manage that encrypt what the reporters use: the secrets and SecureString parameters they read, an existing SNS topic (reporters.sns.topic_arn) they publish to. report-findings, the one function that reads secrets and publishes, may kms:Decrypt and kms:GenerateDataKey with them. Keys of this account and region are already usable for secrets and parameters through those services (kms:ViaService)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", arn))])
    error_message = "kms_key_arns must be key ARNs like arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not aliases: IAM policies name keys by ARN)."
  }
}

variable "ledger_enabled" {
  description = "Create the findings ledger, a DynamoDB table <name_prefix>-ledger (on demand) in which report-findings keeps each image's last scan and findings and what each reporter was last sent, so that reports say what changed and notify = \"changes\" holds back unchanged ones, and from which scan-images reads the last scans instead of asking ECR for each image. Every function gets its name as LEDGER_TABLE_NAME (it also holds the digests' state, the vulnerability index and the threat-intel cache). false: no table, no digests, no KEV escalations; every due report is sent, as with notify = \"always\". Turning it off destroys the table, which deletion protection (ledger_deletion_protection) refuses until turned off first."
  type        = bool
  default     = true
  nullable    = false
}

variable "ledger_deletion_protection" {
  description = "DynamoDB deletion protection of the ledger table: a destroy (or ledger_enabled = false) fails until this is false and applied. Losing the ledger re-sends one report per image reference and reporter."
  type        = bool
  default     = true
  nullable    = false
}

variable "ledger_point_in_time_recovery" {
  description = "Point-in-time recovery (continuous backups, 35 days) of the ledger table."
  type        = bool
  default     = true
  nullable    = false
}

variable "ledger_kms_key_arn" {
  description = "A customer managed KMS key for the ledger table (its key policy must let the deployer and the functions use it through dynamodb.<region>.amazonaws.com, as DynamoDB's documentation describes). null: kms_key_arn, or without one the AWS managed key aws/dynamodb. With a key other than kms_key_arn, scan-images and report-findings may kms:Decrypt with it through DynamoDB only."
  type        = string
  default     = null

  validation {
    condition     = var.ledger_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.ledger_kms_key_arn))
    error_message = "ledger_kms_key_arn must be a key ARN like arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias: IAM policies name keys by ARN), or null."
  }
}

variable "role_path" {
  description = "Path of the functions' IAM roles (an organisation's convention, e.g. \"/service/\")."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = can(regex("^/([\\x21-\\x7E]{0,510}/)?$", var.role_path))
    error_message = "role_path must start and end with a slash, e.g. \"/\" or \"/service/ecr-scan-reporter/\" (IAM: printable ASCII, up to 512 characters)."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of the managed policy set as the permissions boundary of every role the module creates (organisations that require one). null: none."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be a managed policy ARN like arn:aws:iam::123456789012:policy/boundary, or null."
  }
}

variable "ses_recipient_identities" {
  description = "With the email reporter and an SES account still in the sandbox: the verified identities (addresses or domains) of the recipients. In the sandbox SES sends only to verified identities and authorizes ses:SendEmail against the recipients' identities too, so report-findings is granted ses:SendEmail on these as well. Leave empty once the account has production access."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for identity in var.ses_recipient_identities : can(regex("^([^@\\s<>]+@)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$", identity))])
    error_message = "ses_recipient_identities must be SES identities: addresses like sec@acme.example or domains like acme.example."
  }
}

variable "alarm_sns_topic_arn" {
  description = "When set, CloudWatch alarms on the depth of each dead-letter queue (ApproximateNumberOfMessagesVisible > 0) and on each function's Errors notify this SNS topic (alarm and OK). It must be known at plan time: an existing topic's ARN, or one written out from its name. null: no alarms."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null ? true : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:ops-alarms (a standard topic: CloudWatch cannot notify FIFO topics), or null."
  }
}

variable "vpc_subnet_ids" {
  description = "Subnets (of this account) to attach the functions to, with vpc_security_group_ids; the functions then reach AWS through the VPC (NAT or VPC endpoints for ECR, SQS, SSM, Secrets Manager, SNS, SES, CloudWatch Logs, and the reporters' targets). [] (the default): no VPC."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.vpc_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "vpc_subnet_ids must be subnet ids like subnet-0123456789abcdef0."
  }
}

variable "vpc_security_group_ids" {
  description = "Security groups of the functions in the VPC, with vpc_subnet_ids (both or neither)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.vpc_security_group_ids : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "vpc_security_group_ids must be security group ids like sg-0123456789abcdef0."
  }
}

variable "tracing_mode" {
  description = "AWS X-Ray tracing of the functions: \"Active\" (Lambda samples and traces invocations; the roles may xray:PutTraceSegments and xray:PutTelemetryRecords) or \"PassThrough\". null: Lambda's default (PassThrough)."
  type        = string
  default     = null

  validation {
    condition     = var.tracing_mode == null ? true : contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be \"Active\", \"PassThrough\" or null."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days (one of CloudWatch Logs' values; 0 = never expire)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL of the functions; DEBUG logs every skip decision of the scheduler."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT (upper case)."
  }
}

variable "runtime" {
  description = "Lambda runtime of the functions (the bundles target Node.js 20 and later)."
  type        = string
  default     = "nodejs22.x"
  nullable    = false

  validation {
    condition     = contains(["nodejs20.x", "nodejs22.x"], var.runtime)
    error_message = "runtime must be \"nodejs20.x\" or \"nodejs22.x\"."
  }
}

variable "architecture" {
  description = "Instruction set of the functions (the bundles are plain JavaScript: both work; arm64 costs less)."
  type        = string
  default     = "arm64"
  nullable    = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "schedule_scans_memory_size" {
  description = "Memory of schedule-scans, in MB."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.schedule_scans_memory_size == floor(var.schedule_scans_memory_size) && var.schedule_scans_memory_size >= 128 && var.schedule_scans_memory_size <= 10240
    error_message = "schedule_scans_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "schedule_scans_timeout" {
  description = "Timeout of schedule-scans, in seconds (it lists the repositories and queues one message each)."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.schedule_scans_timeout == floor(var.schedule_scans_timeout) && var.schedule_scans_timeout >= 1 && var.schedule_scans_timeout <= 900
    error_message = "schedule_scans_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "scan_images_memory_size" {
  description = "Memory of scan-images, in MB."
  type        = number
  default     = 512
  nullable    = false

  validation {
    condition     = var.scan_images_memory_size == floor(var.scan_images_memory_size) && var.scan_images_memory_size >= 128 && var.scan_images_memory_size <= 10240
    error_message = "scan_images_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "scan_images_timeout" {
  description = "Timeout of scan-images, in seconds; the scan queue's visibility timeout is 6 times this."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.scan_images_timeout == floor(var.scan_images_timeout) && var.scan_images_timeout >= 1 && var.scan_images_timeout <= 900
    error_message = "scan_images_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "report_findings_memory_size" {
  description = "Memory of report-findings, in MB (5,000 findings through every reporter fit in 512)."
  type        = number
  default     = 512
  nullable    = false

  validation {
    condition     = var.report_findings_memory_size == floor(var.report_findings_memory_size) && var.report_findings_memory_size >= 128 && var.report_findings_memory_size <= 10240
    error_message = "report_findings_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "report_findings_timeout" {
  description = "Timeout of report-findings, in seconds; the report queue's visibility timeout is 6 times this. The GitHub reporter paces its writes (1 s, 3 s between issues and comments, as GitHub asks), so a batch with many due reports needs minutes."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.report_findings_timeout == floor(var.report_findings_timeout) && var.report_findings_timeout >= 1 && var.report_findings_timeout <= 900
    error_message = "report_findings_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "send_digests_memory_size" {
  description = "Memory of send-digests, in MB (it holds the ledger's picture of every image in use while it builds the digests)."
  type        = number
  default     = 1024
  nullable    = false

  validation {
    condition     = var.send_digests_memory_size == floor(var.send_digests_memory_size) && var.send_digests_memory_size >= 128 && var.send_digests_memory_size <= 10240
    error_message = "send_digests_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "send_digests_timeout" {
  description = "Timeout of send-digests, in seconds: one invocation reads the ledger and sends every route's digest (the GitHub reporter paces its writes)."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.send_digests_timeout == floor(var.send_digests_timeout) && var.send_digests_timeout >= 1 && var.send_digests_timeout <= 900
    error_message = "send_digests_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "report_max_concurrency" {
  description = "Most concurrent report-findings invocations the report queue's event source mapping starts (bounds the load on Slack, GitHub and SES)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.report_max_concurrency == floor(var.report_max_concurrency) && var.report_max_concurrency >= 2 && var.report_max_concurrency <= 1000
    error_message = "report_max_concurrency must be a whole number from 2 to 1000 (Lambda's limits for an SQS event source's maximum concurrency)."
  }
}

variable "scan_max_concurrency" {
  description = "Most concurrent scan-images invocations the scan queue's event source mapping starts (bounds the rate of ECR calls of one run). null: no limit but the account's."
  type        = number
  default     = null

  validation {
    condition     = var.scan_max_concurrency == null ? true : (var.scan_max_concurrency == floor(var.scan_max_concurrency) && var.scan_max_concurrency >= 2 && var.scan_max_concurrency <= 1000)
    error_message = "scan_max_concurrency must be a whole number from 2 to 1000 (Lambda's limits for an SQS event source's maximum concurrency), or null."
  }
}

variable "report_delay_seconds" {
  description = "Delay of the report queue, in seconds, so that Inspector has written an image's findings before they are read."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.report_delay_seconds == floor(var.report_delay_seconds) && var.report_delay_seconds >= 0 && var.report_delay_seconds <= 900
    error_message = "report_delay_seconds must be a whole number of seconds from 0 to 900 (SQS's limit)."
  }
}

variable "max_receive_count" {
  description = "Receives of a message before SQS moves it to the queue's DLQ (both queues)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.max_receive_count == floor(var.max_receive_count) && var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be a whole number from 1 to 1000."
  }
}

variable "member_accounts" {
  description = "Multi-account: the other AWS accounts whose registries this deployment (the hub) scans and reports, each with terraform/modules/member-account applied in it (its role named member_role_name, on this module's role_path). name is shown in reports beside the account id; external_id, when set, is the sts:ExternalId that account's role requires (its module's external_id). The functions may sts:AssumeRole exactly these accounts' roles, and the default event bus admits their events. []: this account only (with hub_account_name, under that name)."
  type = list(object({
    account_id  = string
    name        = optional(string)
    external_id = optional(string)
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for member in var.member_accounts : can(regex("^[0-9]{12}$", member.account_id))])
    error_message = "member_accounts[].account_id must be a 12-digit AWS account id, as a string in quotes, e.g. \"210987654321\"."
  }

  validation {
    condition     = length(distinct(var.member_accounts[*].account_id)) == length(var.member_accounts)
    error_message = "member_accounts lists an account twice: keep one entry per account id."
  }

  # STS AssumeRole: ExternalId is 2 to 1224 characters of [\w+=,.@:/-] (AWS STS API Reference, AssumeRole). RE2
  # repeats at most 1000 times, so the length is checked apart.
  validation {
    condition = alltrue([for member in var.member_accounts : member.external_id == null ? true : (
      length(member.external_id) >= 2 && length(member.external_id) <= 1224 && can(regex("^[\\w+=,.@:/-]+$", member.external_id))
    )])
    error_message = "member_accounts[].external_id must be 2 to 1224 characters of letters, digits and +=,.@:/- (STS AssumeRole's ExternalId), or null."
  }

  # The names are matched by reporters[].accounts, as the ids are (core's schema checks the same). Core counts a
  # name's 64 characters as JavaScript does, in UTF-16 code units; Terraform's length() counts grapheme clusters
  # ("q" and a combining accent are one). So the length is counted here as core counts it: one per code point (each
  # match of "(?s)."), one more for each outside the Basic Multilingual Plane (a surrogate pair in UTF-16).
  # Terraform keeps strings in NFC, and the document carries them so: core counts the same code points.
  validation {
    condition = alltrue([for member in var.member_accounts : member.name == null ? true : (
      length(trimspace(member.name)) >= 1 && trimspace(member.name) == member.name && !can(regex("^[0-9]{12}$", member.name))
      && length(regexall("(?s).", member.name)) + length(regexall("[\\x{10000}-\\x{10FFFF}]", member.name)) <= 64
    )]) && length(distinct(compact(var.member_accounts[*].name))) == length(compact(var.member_accounts[*].name))
    error_message = "member_accounts[].name must be 1 to 64 characters (UTF-16 code units, as the configuration's schema counts them: a character outside the Basic Multilingual Plane, e.g. an emoji, counts 2) without surrounding spaces, unique, and not a 12-digit account id (reporters[].accounts matches both), or null."
  }
}

variable "organization_id" {
  description = "Multi-account: the AWS Organizations id (o-…) whose accounts may send events to this account's default event bus (a statement with aws:PrincipalOrgID), so that an account joining member_accounts needs no new bus policy. It grants no access to any registry: the functions only assume the roles of member_accounts, and report-findings logs and drops the events of any other account. null: only member_accounts may send."
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null ? true : can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must be an AWS Organizations id like o-a1b2c3d4e5 (\"o-\" and 10 to 32 lower-case letters or digits), or null."
  }
}

variable "member_role_name" {
  description = "Multi-account: the name of the read-and-scan role in each member account (terraform/modules/member-account's role_name), 1 to 40 characters. Its ARN is written as arn:<partition>:iam::<account_id>:role<role_path><member_role_name>."
  type        = string
  default     = "ecr-scan-reporter-member"
  nullable    = false

  # The member module's role_name limit: it names its forwarding role <role_name>-forward-<region>, which must stay
  # within IAM's 64 characters, so a longer name here could never be the member module's.
  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,40}$", var.member_role_name))
    error_message = "member_role_name must be 1 to 40 letters, digits or +=,.@_-, e.g. \"ecr-scan-reporter-member\": the member module's role_name, which allows 40 because its forwarding role is named <role_name>-forward-<region> within IAM's 64 characters."
  }
}

variable "hub_account_name" {
  description = "Multi-account: the name of this (the hub's) account in reports and in reporters[].accounts. null: the account id only."
  type        = string
  default     = null

  validation {
    # Counted as member_accounts[].name is (UTF-16 code units, as core's schema counts).
    condition = var.hub_account_name == null ? true : (length(trimspace(var.hub_account_name)) >= 1 && trimspace(var.hub_account_name) == var.hub_account_name && !can(regex("^[0-9]{12}$", var.hub_account_name))
    && length(regexall("(?s).", var.hub_account_name)) + length(regexall("[\\x{10000}-\\x{10FFFF}]", var.hub_account_name)) <= 64)
    error_message = "hub_account_name must be 1 to 64 characters (UTF-16 code units, as the configuration's schema counts them: a character outside the Basic Multilingual Plane, e.g. an emoji, counts 2) without surrounding spaces and not a 12-digit account id, or null."
  }
}

variable "include_hub_account" {
  description = "Multi-account: with member_accounts, keep this (the hub's) account's own registry scanned and reported too. false: only the member accounts' registries (member_accounts must not be empty)."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
  nullable    = false
}
