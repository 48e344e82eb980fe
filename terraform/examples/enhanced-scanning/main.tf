provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region of the ECR registry."
  type        = string
  default     = "eu-west-1"
}

# The registry hands scanning to Amazon Inspector: every image is scanned on push and rescanned continuously as new
# vulnerabilities are published. schedule-scans sees ENHANCED and starts no scans; reports still flow.
resource "aws_ecr_registry_scanning_configuration" "this" {
  scan_type = "ENHANCED"

  rule {
    scan_frequency = "CONTINUOUS_SCAN"

    repository_filter {
      filter      = "*"
      filter_type = "WILDCARD"
    }
  }
}

# No depends_on on the registry setting: schedule-scans reads it at every run, so the order of creation does not
# matter, and a module's depends_on would defer its data sources (account, region) to apply time, leaving its
# ARNs and configuration document unknown in the plan.
module "ecr_scan_reporter" {
  source = "../.."

  # Routes Inspector's events for ECR images: "Inspector2 Scan" for an image's initial scan and, by default with
  # enhanced scanning, "Inspector2 Finding" (one per finding created, updated or closed), which is how Inspector's
  # continuous rescans show up. The report path batches them (up to 50 messages, 20 s) so a burst for one image
  # gives one report. Inspector's events for EC2 instances and Lambda functions are left out.
  enhanced_scanning = true

  reporters = {
    sns = {}
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

output "report_rule_names" {
  description = "The EventBridge rules feeding the report queue (ECR Image Scan, Inspector2 Scan, Inspector2 Finding)."
  value       = module.ecr_scan_reporter.report_rule_names
}
