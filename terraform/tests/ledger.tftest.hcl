# The findings ledger (ledger.tf): the table, what the functions are told of it, and what they may do with it.
# That each granted action is one the functions call, and no more, is proved on the sandbox
# (test/iam.e2e.test.ts, with the policies tests/local-deployment.tftest.hcl renders); here, what every plan holds.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "ledger_by_default" {
  command = plan

  assert {
    condition     = length(aws_dynamodb_table.ledger) == 1 && aws_dynamodb_table.ledger[0].name == "ecr-scan-reporter-ledger" && output.ledger_table_name == "ecr-scan-reporter-ledger"
    error_message = "The ledger exists by default, named <name_prefix>-ledger, and ledger_table_name says so."
  }

  assert {
    condition = (aws_dynamodb_table.ledger[0].billing_mode == "PAY_PER_REQUEST"
      && aws_dynamodb_table.ledger[0].hash_key == "pk" && aws_dynamodb_table.ledger[0].range_key == "sk"
    && length(aws_dynamodb_table.ledger[0].local_secondary_index) == 0)
    error_message = "The table is on demand, keyed by the strings pk and sk, with no local index (the single-table design of docs/architecture.md)."
  }

  # core's LEDGER_TABLE.globalSecondaryIndexes (packages/sandbox/test/ledger-table.test.ts compares the two).
  assert {
    condition = (toset([for index in aws_dynamodb_table.ledger[0].global_secondary_index : "${index.name}:${index.hash_key}:${index.range_key}:${index.projection_type}"]) == toset([
      "by-vulnerability:vulnerability:image:ALL",
      "by-package:package:vulnerability:ALL",
    ]))
    error_message = "The table has the two indexes of the vulnerability-index items: by-vulnerability (vulnerability, image) and by-package (package, vulnerability), each projecting every attribute."
  }

  assert {
    condition     = toset([for a in aws_dynamodb_table.ledger[0].attribute : "${a.name}:${a.type}"]) == toset(["pk:S", "sk:S", "vulnerability:S", "image:S", "package:S"])
    error_message = "The key attributes of the table and of its indexes are declared, as strings, and no other attribute."
  }

  assert {
    condition = alltrue([for index in aws_dynamodb_table.ledger[0].global_secondary_index :
      length(coalesce(index.non_key_attributes, [])) == 0 && length(index.on_demand_throughput) == 0
    ])
    error_message = "The indexes are on demand like the table (no throughput set), and project everything (no attribute list)."
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].ttl[0].enabled == true && aws_dynamodb_table.ledger[0].ttl[0].attribute_name == "expiresAt"
    error_message = "DynamoDB expires the items whose expiresAt has passed (images gone from the registry, abandoned claims)."
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].point_in_time_recovery[0].enabled == true && aws_dynamodb_table.ledger[0].deletion_protection_enabled == true
    error_message = "Point-in-time recovery and deletion protection are on by default."
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].server_side_encryption[0].enabled == true
    error_message = "The table is encrypted with KMS (the AWS managed key without a key of the module's)."
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].tags == tomap({ "ecr-scan-reporter" = "ecr-scan-reporter" })
    error_message = "The table is tagged as the module's other resources are."
  }

  assert {
    condition = alltrue([for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images, aws_lambda_function.report_findings, aws_lambda_function.send_digests[0]] :
      fn.environment[0].variables.LEDGER_TABLE_NAME == "ecr-scan-reporter-ledger"
    ])
    error_message = "Every function is told the table's name (schedule-scans for its KEV step)."
  }

  assert {
    condition     = contains(keys(aws_lambda_function.schedule_scans.environment[0].variables), "REPORT_QUEUE_URL")
    error_message = "schedule-scans is told the report queue, where its KEV escalations go (its URL: defaults.tftest.hcl)."
  }

  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.schedule_scans.policy).Statement : s if contains(["EscalateKevInLedger", "FindImagesByVulnerability", "QueueKevEscalations"], s.Sid)] == [
      {
        Sid      = "EscalateKevInLedger"
        Effect   = "Allow"
        Action   = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
        Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecr-scan-reporter-ledger"
      },
      {
        Sid      = "FindImagesByVulnerability"
        Effect   = "Allow"
        Action   = "dynamodb:Query"
        Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecr-scan-reporter-ledger/index/by-vulnerability"
      },
      {
        Sid      = "QueueKevEscalations"
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-report"
      },
    ])
    error_message = "schedule-scans may cache the KEV catalog and keep its pending escalations on the table, query the by-vulnerability index (no other), and send to the report queue (not its DLQ)."
  }

  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.scan_images.policy).Statement : s if s.Sid == "TrackScansInLedger"]) == {
      Sid      = "TrackScansInLedger"
      Effect   = "Allow"
      Action   = ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"]
      Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecr-scan-reporter-ledger"
    })
    error_message = "scan-images may read last scans in batches and record a scan, on the table only."
  }

  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s if s.Sid == "TrackReportsInLedger"]) == {
      Sid      = "TrackReportsInLedger"
      Effect   = "Allow"
      Action   = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
      Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecr-scan-reporter-ledger"
    })
    error_message = "report-findings may read, record, read and write the image's vulnerability index items (a Query of its partition, batches of writes), claim, mark and release, on the table only."
  }

  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s if s.Sid == "CheckDeletedImages"]) == {
      Sid      = "CheckDeletedImages"
      Effect   = "Allow"
      Action   = "ecr:DescribeImages"
      Resource = "arn:aws:ecr:eu-west-1:123456789012:repository/*"
      } && jsondecode(aws_cloudwatch_event_rule.report["ecr_image_delete"].event_pattern) == {
      source        = ["aws.ecr"]
      "detail-type" = ["ECR Image Action"]
      detail        = { "action-type" = ["DELETE"], result = ["SUCCESS"] }
    })
    error_message = "With the ledger, ECR's image deletions reach the report queue, and report-findings may ask ECR whether a deleted image is gone (DescribeImages on the region's repositories), so that the ledger forgets it."
  }

  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.send_digests[0].policy).Statement : s if contains(["TrackDigestsInLedger", "FindImagesByVulnerability"], s.Sid)] == [
      {
        Sid      = "TrackDigestsInLedger"
        Effect   = "Allow"
        Action   = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
        Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecr-scan-reporter-ledger"
      },
      {
        Sid      = "FindImagesByVulnerability"
        Effect   = "Allow"
        Action   = "dynamodb:Query"
        Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecr-scan-reporter-ledger/index/by-vulnerability"
      },
    ])
    error_message = "send-digests may read (in batches, by key range), claim its sends and cache the day's KEV catalog on the table, and query the by-vulnerability index (no other) for its known-exploited section."
  }

  assert {
    condition = alltrue([for pair in [["schedule_scans", aws_iam_role_policy.schedule_scans.policy], ["scan_images", aws_iam_role_policy.scan_images.policy], ["report_findings", aws_iam_role_policy.report_findings.policy], ["send_digests", aws_iam_role_policy.send_digests[0].policy]] :
      [for s in jsondecode(pair[1]).Statement : s.Sid if anytrue([for a in flatten([s.Action]) : startswith(a, "dynamodb:")])] == (
        { schedule_scans = ["EscalateKevInLedger", "FindImagesByVulnerability"], scan_images = ["TrackScansInLedger"], report_findings = ["TrackReportsInLedger"], send_digests = ["TrackDigestsInLedger", "FindImagesByVulnerability"] }[pair[0]]
      )
    ])
    error_message = "No other statement grants a DynamoDB action."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : s.Sid != "DecryptLedgerTable" && !anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])]
    ]))
    error_message = "Under the AWS managed key no function is granted a KMS action: its key policy lets the account use it through DynamoDB."
  }
}

# The ledger's own key, another than the module's: the table is under it, and the functions that use the table
# may decrypt with it, through DynamoDB only.
run "ledger_key_of_its_own" {
  command = plan

  variables {
    kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ledger_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/5678abcd-56ab-78cd-90ef-567890abcdef"
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].server_side_encryption[0].enabled == true && aws_dynamodb_table.ledger[0].server_side_encryption[0].kms_key_arn == var.ledger_kms_key_arn
    error_message = "ledger_kms_key_arn encrypts the table."
  }

  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      one([for s in jsondecode(policy).Statement : s if s.Sid == "DecryptLedgerTable"]) == {
        Sid       = "DecryptLedgerTable"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.ledger_kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "dynamodb.eu-west-1.amazonaws.com" } }
      }
    ])
    error_message = "Every function (schedule-scans for its KEV step) may decrypt with the ledger's key, only through DynamoDB of the region."
  }
}

# The module's key given as the ledger's too (or left to default to it, defaults.tftest.hcl): UseModuleKey already
# lets every function use it, so no second statement names it.
run "ledger_under_the_module_key" {
  command = plan

  variables {
    kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ledger_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "The table is under the module's key."
  }

  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : s.Sid if contains(flatten([s.Resource]), var.kms_key_arn)] == ["UseModuleKey"]
    ])
    error_message = "The key is granted once, by UseModuleKey."
  }
}

run "ledger_settings" {
  command = plan

  variables {
    name_prefix                   = "scans"
    ledger_deletion_protection    = false
    ledger_point_in_time_recovery = false
    tags                          = { team = "platform" }
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].name == "scans-ledger" && aws_lambda_function.report_findings.environment[0].variables.LEDGER_TABLE_NAME == "scans-ledger"
    error_message = "The table is named after name_prefix, and the functions are told that name."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s.Resource if s.Sid == "TrackReportsInLedger"]) == "arn:aws:dynamodb:eu-west-1:123456789012:table/scans-ledger"
    error_message = "The grants name the table of this instance."
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].deletion_protection_enabled == false && aws_dynamodb_table.ledger[0].point_in_time_recovery[0].enabled == false
    error_message = "ledger_deletion_protection and ledger_point_in_time_recovery are applied."
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].tags["team"] == "platform" && aws_dynamodb_table.ledger[0].tags["ecr-scan-reporter"] == "scans"
    error_message = "var.tags are merged into the table's tags."
  }
}

# Without the ledger: no table, nothing told, nothing granted (not even with a key given for it), and no digests,
# which are built from it (although digest_schedule_expression keeps its default).
run "ledger_off" {
  command = plan

  variables {
    ledger_enabled     = false
    ledger_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/5678abcd-56ab-78cd-90ef-567890abcdef"
  }

  assert {
    condition     = length(aws_dynamodb_table.ledger) == 0 && output.ledger_table_name == null && output.ledger_table_arn == null
    error_message = "No table, and both outputs null."
  }

  assert {
    condition = (length(aws_lambda_function.send_digests) == 0 && length(aws_cloudwatch_event_rule.digests) == 0 && length(aws_iam_role.send_digests) == 0
    && length(aws_sqs_queue.digest_dlq) == 0 && output.send_digests_function_name == null)
    error_message = "Without the ledger there is nothing to build digests from: no send-digests, no digest schedule, role or DLQ."
  }

  assert {
    condition = (!contains(keys(aws_cloudwatch_event_rule.report), "ecr_image_delete") && !contains(keys(output.report_rule_names), "ecr_image_delete")
    && !anytrue([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s.Sid == "CheckDeletedImages"]))
    error_message = "Without the ledger there is nothing to forget: no rule for ECR's image deletions, and report-findings may not describe images."
  }

  assert {
    condition = alltrue([for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images, aws_lambda_function.report_findings] :
      !contains(keys(fn.environment[0].variables), "LEDGER_TABLE_NAME")
    ])
    error_message = "No function is told of a table."
  }

  assert {
    condition = (!contains(keys(aws_lambda_function.schedule_scans.environment[0].variables), "REPORT_QUEUE_URL")
    && !anytrue([for s in jsondecode(aws_iam_role_policy.schedule_scans.policy).Statement : contains(["EscalateKevInLedger", "FindImagesByVulnerability", "QueueKevEscalations"], s.Sid)]))
    error_message = "Without the ledger there are no KEV escalations: schedule-scans is neither told of the report queue nor may send to it."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy] :
      [for s in jsondecode(policy).Statement :
        !contains(["TrackScansInLedger", "TrackReportsInLedger", "DecryptLedgerTable"], s.Sid)
        && !anytrue([for a in flatten([s.Action]) : startswith(a, "dynamodb:") || startswith(a, "kms:")])
      ]
    ]))
    error_message = "No DynamoDB action and no key are granted."
  }
}

# Applied against the mock provider: the ARN output is the table's own.
run "ledger_apply" {
  command = apply

  override_resource {
    target = aws_dynamodb_table.ledger
    values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecr-scan-reporter-ledger" }
  }

  assert {
    condition     = output.ledger_table_arn == aws_dynamodb_table.ledger[0].arn && output.ledger_table_name == aws_dynamodb_table.ledger[0].name
    error_message = "The outputs are the created table's name and ARN."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.scan_images.policy).Statement : s.Resource if s.Sid == "TrackScansInLedger"]) == aws_dynamodb_table.ledger[0].arn
    error_message = "The ARN the policies write out from its parts is the table's."
  }
}
