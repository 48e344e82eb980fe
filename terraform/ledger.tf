# The findings ledger: one DynamoDB table (single-table design, docs/architecture.md) in which report-findings
# keeps each image's last scan and findings and what each reporter was last sent per image reference, and from
# which scan-images reads the last scans instead of asking ECR image by image, and send-digests builds its
# digests. Without it (ledger_enabled = false) the functions work as before: every due report is sent, the
# scheduler asks ECR for every image, and there are no digests.

locals {
  ledger_enabled    = var.ledger_enabled
  ledger_table_name = "${var.name_prefix}-ledger"
  # Written out from its parts, as the queues' ARNs are (locals.tf): known at plan time, for the policies.
  ledger_table_arn = "${local.arn_prefix.dynamodb}:table/${local.ledger_table_name}"
  # As for the log groups: the module's key unless the ledger has its own; null leaves the table under the AWS
  # managed key aws/dynamodb.
  ledger_kms_key_arn = var.ledger_kms_key_arn != null ? var.ledger_kms_key_arn : var.kms_key_arn

  # What the functions are told of the table (schedule-scans for its KEV step); nothing when there is none, so that
  # the functions say once that changes cannot be computed.
  ledger_environment = local.ledger_enabled ? { LEDGER_TABLE_NAME = aws_dynamodb_table.ledger[0].name } : {}

  # The two global secondary indexes of core's LEDGER_TABLE (packages/core/src/ledger/table.ts; the sandbox test
  # packages/sandbox/test/ledger-table.test.ts holds the two to each other), over the vulnerability-index items (one
  # per image and finding): by vulnerability id, and by package name, so that `exposure` answers without scanning
  # the table. Both sparse: an item without the index's keys is not in it.
  ledger_indexes = {
    "by-vulnerability" = { hash_key = "vulnerability", range_key = "image" }
    "by-package"       = { hash_key = "package", range_key = "vulnerability" }
  }
  # Every key attribute, of the table and of the indexes, is a string (DynamoDB declares key attributes only).
  ledger_key_attributes = distinct(concat(["pk", "sk"], flatten([for index in values(local.ledger_indexes) : [index.hash_key, index.range_key]])))
}

resource "aws_dynamodb_table" "ledger" {
  count = local.ledger_enabled ? 1 : 0

  name = local.ledger_table_name
  # On demand: a scheduled run reads in bursts and report-findings writes a few items per report; nothing to
  # provision or scale (the indexes included).
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  dynamic "attribute" {
    for_each = local.ledger_key_attributes
    content {
      name = attribute.value
      type = "S"
    }
  }

  # Projection ALL: the items are small and a query must answer without a read of the table per image. On demand,
  # as the table: no capacity to set. Adding them to an existing table backfills them from its items.
  dynamic "global_secondary_index" {
    for_each = local.ledger_indexes
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = "ALL"
    }
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
