provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region of the ECR registry to keep scanned."
  type        = string
  default     = "eu-west-1"
}

variable "security_email" {
  description = "Address subscribed to the findings topic (AWS e-mails it a confirmation link)."
  type        = string
  default     = "security@example.com"
}

# Every repository rescanned when its last scan is over 7 days old; reports of CRITICAL or HIGH findings published
# to a new SNS topic, with one e-mail subscription.
module "ecr_scan_reporter" {
  source = "../.."

  reporters = {
    sns = { email_subscriptions = [var.security_email] }
  }
}

output "sns_topic_arn" {
  description = "The topic reports are published to."
  value       = module.ecr_scan_reporter.sns_topic_arn
}

output "config_document" {
  description = "The configuration the functions run with."
  value       = module.ecr_scan_reporter.config_document
}
