# The findings ledger: one DynamoDB table (single-table design, docs/architecture.md) in which report-findings
# keeps each image's last scan and findings and what each reporter was last sent per image reference, and from
# which scan-images reads the last scans instead of asking ECR image by image. Without it (ledger_enabled = false)
# the functions work as before: every due report is sent, and the scheduler asks ECR for every image.

locals {
  ledger_enabled    = var.ledger_enabled
  ledger_table_name = "${var.name_prefix}-ledger"
  # Written out from its parts, as the queues' ARNs are (locals.tf): known at plan time, for the policies.
  ledger_table_arn = "${local.arn_prefix.dynamodb}:table/${local.ledger_table_name}"
  # As for the log groups: the module's key unless the ledger has its own; null leaves the table under the AWS
  # managed key aws/dynamodb.
  ledger_kms_key_arn = var.ledger_kms_key_arn != null ? var.ledger_kms_key_arn : var.kms_key_arn

  # What scan-images and report-findings are told of the table; nothing when there is none, so that the functions
  # say once that changes cannot be computed.
  ledger_environment = local.ledger_enabled ? { LEDGER_TABLE_NAME = aws_dynamodb_table.ledger[0].name } : {}
}

resource "aws_dynamodb_table" "ledger" {
  count = local.ledger_enabled ? 1 : 0

  name = local.ledger_table_name
  # On demand: a scheduled run reads in bursts and report-findings writes a few items per report; nothing to
  # provision or scale.
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  # Records of images gone from the registry, and abandoned send claims, carry expiresAt (epoch seconds);
  # DynamoDB deletes them some time after, at no cost.
  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.ledger_point_in_time_recovery
  }

  # Always KMS: under the customer managed key when one is given, else the AWS managed aws/dynamodb key (whose key
  # policy lets every principal of the account use it through DynamoDB).
  server_side_encryption {
    enabled     = true
    kms_key_arn = local.ledger_kms_key_arn
  }

  # The ledger is what keeps reports from being sent again: losing it re-sends every report once. Turning
  # ledger_enabled off with deletion protection on fails the apply instead of deleting the table.
  deletion_protection_enabled = var.ledger_deletion_protection

  tags = local.tags
}
