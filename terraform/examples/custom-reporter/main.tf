# Deploys ecr-scan-reporter with a reporter package of your own: the Microsoft Teams reporter in ./teams-reporter,
# built into a Lambda layer by `pnpm --dir teams-reporter build:layer` (teams-reporter/dist/teams-reporter-layer.zip).

provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region of the registry (ECR is regional: one module instance per region)."
  type        = string
  default     = "eu-west-1"
}

variable "teams_webhook_secret_name" {
  description = "Name of the Secrets Manager secret whose value is the Teams workflow (incoming webhook) URL. Create it yourself (its value is a secret, so never in Terraform): aws secretsmanager create-secret --name ecr-scan-reporter/teams-webhook --secret-string 'https://…'."
  type        = string
  default     = "ecr-scan-reporter/teams-webhook"
}

data "aws_secretsmanager_secret" "teams_webhook" {
  name = var.teams_webhook_secret_name
}

# The reporter package as a layer: nodejs/node_modules/@acme/ecr-reporter-teams, which Lambda unpacks under /opt,
# where report-findings looks for reporter packages.
resource "aws_lambda_layer_version" "teams_reporter" {
  layer_name               = "ecr-reporter-teams"
  description              = "@acme/ecr-reporter-teams: Adaptive Cards to Microsoft Teams for ecr-scan-reporter"
  filename                 = "${path.module}/teams-reporter/dist/teams-reporter-layer.zip"
  source_code_hash         = filebase64sha256("${path.module}/teams-reporter/dist/teams-reporter-layer.zip")
  compatible_runtimes      = ["nodejs22.x", "nodejs20.x"]
  compatible_architectures = ["arm64", "x86_64"]
}

module "ecr_scan_reporter" {
  source = "../.."

  repository_include = "^team-"

  # Reports go to Teams (and metrics) only: the sns reporter, on unless disabled, is turned off.
  reporters = {
    sns     = { enabled = false }
    metrics = {}
  }

  custom_reporters = [{
    package      = "@acme/ecr-reporter-teams"
    layer_arn    = aws_lambda_layer_version.teams_reporter.arn
    min_severity = "HIGH"
    options = {
      # A secret reference: report-findings and send-digests may read exactly this secret, nothing else (the
      # module derives the grant from the references in the options).
      webhookUrl  = { secretArn = data.aws_secretsmanager_secret.teams_webhook.arn }
      title       = "ECR image scan"
      maxFindings = 10
    }
  }]
}

output "report_findings_function_name" {
  description = "The function that loads the Teams reporter from its layer."
  value       = module.ecr_scan_reporter.report_findings_function_name
}

output "teams_reporter_layer_arn" {
  description = "The reporter's layer version."
  value       = aws_lambda_layer_version.teams_reporter.arn
}
