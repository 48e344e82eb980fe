# ecr-scan-reporter: a scheduled rescan of ECR images and a report path for their scan results (how the parts
# fit together: docs/architecture.md).
#
#   EventBridge schedule ─► schedule-scans ─► scan queue (+DLQ) ─► scan-images ─► StartImageScan
#   ECR / Inspector scan events ─► EventBridge rules ─► report queue (+DLQ) ─► report-findings ─► reporters
#   EventBridge digest schedule ─► send-digests (+DLQ) ─► reporters (from the findings ledger)
#
# Resources are split by concern: scheduler.tf, scanner.tf, reporter.tf, digests.tf, ledger.tf, notifications.tf,
# alarms.tf, iam.tf, config.tf; functions.tf holds what the functions share.
# ECR is regional: one instance of this module per region (examples/multi-region).

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}
