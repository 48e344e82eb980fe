# ECR is regional: one module instance per region, each with its own provider. Names do not collide: functions,
# queues, rules, topics and log groups are regional, and role names carry the region.

provider "aws" {
  alias  = "ireland"
  region = "eu-west-1"
}

provider "aws" {
  alias  = "virginia"
  region = "us-east-1"
}

module "ecr_scan_reporter_eu_west_1" {
  source = "../.."
  providers = {
    aws = aws.ireland
  }

  reporters = {
    sns = { email_subscriptions = ["security@example.com"] }
  }

  tags = { region-role = "primary" }
}

module "ecr_scan_reporter_us_east_1" {
  source = "../.."
  providers = {
    aws = aws.virginia
  }

  # A quieter policy for the secondary region's images.
  thresholds = { CRITICAL = 0 }
  reporters = {
    sns = { email_subscriptions = ["security@example.com"] }
  }

  tags = { region-role = "secondary" }
}

output "sns_topic_arns" {
  description = "The findings topic of each region."
  value = {
    eu-west-1 = module.ecr_scan_reporter_eu_west_1.sns_topic_arn
    us-east-1 = module.ecr_scan_reporter_us_east_1.sns_topic_arn
  }
}

output "role_arns" {
  description = "The report-findings role of each region: same prefix, different names."
  value = {
    eu-west-1 = module.ecr_scan_reporter_eu_west_1.report_findings_role_arn
    us-east-1 = module.ecr_scan_reporter_us_east_1.report_findings_role_arn
  }
}
