provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region of the ECR registry to keep scanned."
  type        = string
  default     = "eu-west-1"
}

variable "github_token_parameter" {
  description = "SSM SecureString parameter holding the GitHub token (created outside Terraform, so the token never reaches the state)."
  type        = string
  default     = "/ecr-scan-reporter/github-token"
}

# The two layers are yours (published beforehand: see ../custom-reporter for a reporter layer), so their ARNs have
# no default: Lambda refuses a layer version the account may not use.
variable "reporters_layer_arn" {
  description = "Versioned ARN of the layer holding the custom reporter package under nodejs/node_modules/."
  type        = string
}

variable "templates_layer_arn" {
  description = "Versioned ARN of the layer holding template overrides under ecr-scan-reporter/templates/."
  type        = string
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# The Slack webhook URL lives in Secrets Manager. Terraform creates the secret but not its value: put the URL in
# with `aws secretsmanager put-secret-value` so it never appears in Terraform's state.
resource "aws_secretsmanager_secret" "slack_webhook" {
  name        = "ecr-scan-reporter/slack-webhook"
  description = "Slack incoming webhook URL of the ecr-scan-reporter slack reporter."
}

resource "aws_secretsmanager_secret" "teams_webhook" {
  name        = "ecr-scan-reporter/teams-webhook"
  description = "Microsoft Teams webhook URL of the custom teams reporter."
}

# The SES configuration set the e-mail reporter sends through (its event destinations are yours to add).
resource "aws_sesv2_configuration_set" "ecr_scans" {
  configuration_set_name = "ecr-scans"
}

# Operators' alarms: messages in a dead-letter queue, function errors.
resource "aws_sns_topic" "alarms" {
  name = "ecr-scans-alarms"
}

locals {
  # The module decides at plan time whether to create its alarms, so the topic's ARN is written out from its name
  # (aws_sns_topic.alarms.arn is only known after apply); referring to the name still orders the topic first.
  alarm_topic_arn = "arn:${data.aws_partition.current.partition}:sns:${var.region}:${data.aws_caller_identity.current.account_id}:${aws_sns_topic.alarms.name}"
}

module "ecr_scan_reporter" {
  source = "../.."

  name_prefix         = "ecr-scans"
  schedule_expression = "cron(0 3 * * ? *)"

  repository_include = "^(team-a|team-b|legacy)/"
  repository_exclude = "-sandbox$"
  scan_expiry        = "3d"
  only_pulled_within = "90d"
  max_scans_per_run  = 2000

  thresholds             = { CRITICAL = 0, HIGH = 0, MEDIUM = 20 }
  notify_on_scan_failure = true

  ignore = [
    { id = "CVE-2023-4863", repositories = "^legacy/", until = "2027-01-31", reason = "libwebp is never fed untrusted images there" },
    { id = "CVE-2024-3094", reason = "xz backdoor: the affected versions were never shipped; scanner false positive" },
  ]

  reporters = {
    sns = {
      email_subscriptions = ["security@acme.example"]
      subject_prefix      = "[ecr]"
    }
    slack = {
      webhook_url_secret_arn = aws_secretsmanager_secret.slack_webhook.arn
      channel_label          = "team-a production"
      repositories           = "^team-a/"
      min_severity           = "HIGH"
    }
    github = {
      owner           = "acme"
      repo            = "security"
      token_parameter = var.github_token_parameter
      labels          = ["ecr-scan", "security"]
      assignees       = ["acme-security-bot"]
    }
    email = {
      from              = "ECR scans <scans@acme.example>"
      to                = ["security@acme.example"]
      cc                = ["platform@acme.example"]
      configuration_set = aws_sesv2_configuration_set.ecr_scans.configuration_set_name
      min_severity      = "CRITICAL"
    }
    metrics = { namespace = "Acme/EcrScans" }
  }

  custom_reporters = [{
    package      = "@acme/ecr-reporter-teams"
    layer_arn    = var.reporters_layer_arn
    repositories = "^team-b/"
    # The module grants read access to the secret this reference names.
    options = { webhookUrl = { secretArn = aws_secretsmanager_secret.teams_webhook.arn } }
  }]
  templates_layer_arn = var.templates_layer_arn

  log_retention_days     = 90
  log_level              = "INFO"
  report_max_concurrency = 3
  report_delay_seconds   = 60
  scan_max_concurrency   = 10
  tracing_mode           = "Active"
  alarm_sns_topic_arn    = local.alarm_topic_arn

  tags = {
    team        = "platform"
    cost-center = "security"
  }
}

output "functions" {
  description = "The three functions."
  value = {
    schedule_scans  = module.ecr_scan_reporter.schedule_scans_function_name
    scan_images     = module.ecr_scan_reporter.scan_images_function_name
    report_findings = module.ecr_scan_reporter.report_findings_function_name
  }
}

output "dead_letter_queues" {
  description = "Where messages end up after the retries (the alarms topic is told when one is not empty)."
  value = {
    scan     = module.ecr_scan_reporter.scan_dlq_url
    report   = module.ecr_scan_reporter.report_dlq_url
    schedule = module.ecr_scan_reporter.schedule_dlq_url
  }
}

output "config_document" {
  description = "The configuration the functions run with."
  value       = module.ecr_scan_reporter.config_document
}
