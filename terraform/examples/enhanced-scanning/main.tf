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

module "ecr_scan_reporter" {
  source = "../.."

  # Inspector sends "Inspector2 Scan" only for an image's initial scan; its continuous rescans show up as
  # "Inspector2 Finding" events (one per finding created, updated or closed), which this routes to the report
  # queue. The report path batches them (up to 50 messages, 20 s) so a burst for one image gives one report.
  enhanced_scanning       = true
  enhanced_finding_events = true

  reporters = {
    sns = {}
  }

  depends_on = [aws_ecr_registry_scanning_configuration.this]
}

output "sns_topic_arn" {
  description = "The topic reports are published to."
  value       = module.ecr_scan_reporter.sns_topic_arn
}

output "report_rule_names" {
  description = "The EventBridge rules feeding the report queue (ECR Image Scan, Inspector2 Scan, Inspector2 Finding)."
  value       = module.ecr_scan_reporter.report_rule_names
}
