# Where the configuration document is kept: the functions' environment while it surely fits Lambda's 4 KB, an SSM
# parameter beyond (config.tf). AWS's limits are in bytes.

mock_provider "aws" {
  source = "./tests/mocks"
}

# A document over 3,500 bytes goes to an SSM parameter, which every function may read.
run "large_document_goes_to_ssm" {
  command = plan

  variables {
    ignore = [for i in range(40) : { id = format("CVE-2024-%05d", i), repositories = "^legacy/", until = "2027-01-31", reason = "accepted by the security review of 2026-11" }]
  }

  assert {
    condition     = local.config_bytes > 3500 && length(aws_ssm_parameter.config) == 1
    error_message = "A document over 3,500 bytes is kept in an SSM parameter."
  }

  assert {
    condition     = aws_ssm_parameter.config[0].name == "/ecr-scan-reporter/config" && aws_ssm_parameter.config[0].type == "String" && aws_ssm_parameter.config[0].value == output.config_document
    error_message = "The parameter /<name_prefix>/config holds the document, as a String without a KMS key."
  }

  assert {
    condition = alltrue([for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images, aws_lambda_function.report_findings] :
      fn.environment[0].variables.ECR_SCAN_REPORTER_CONFIG_PARAMETER == "/ecr-scan-reporter/config" && !can(fn.environment[0].variables.ECR_SCAN_REPORTER_CONFIG)
    ])
    error_message = "The functions are given the parameter's name instead of the document."
  }

  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy] :
      contains(jsondecode(policy).Statement, { Sid = "ReadConfigParameter", Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-west-1:123456789012:parameter/ecr-scan-reporter/config" })
    ])
    error_message = "Every function may read the config parameter."
  }
}

# AWS's limits are in bytes: a document of multi-byte characters can be short in characters and still too large.
run "document_size_is_counted_in_bytes" {
  command = plan

  variables {
    # 20 reasons of 60 "✓" (3 bytes each in UTF-8): under 3,500 characters in all, over 4,096 bytes.
    ignore = [for i in range(20) : { id = format("CVE-2024-%05d", i), reason = join("", [for _ in range(60) : "✓"]) }]
  }

  assert {
    condition     = length(output.config_document) < 3500 && length(aws_ssm_parameter.config) == 1
    error_message = "A document under 3,500 characters but over 3,500 bytes does not fit Lambda's 4 KB environment: it goes to SSM."
  }

  assert {
    condition     = aws_ssm_parameter.config[0].tier == "Advanced"
    error_message = "Over 4,096 bytes, the parameter must be an advanced one (a standard parameter holds 4 KB)."
  }

  assert {
    condition     = local.config_bytes == length(output.config_document) + 2 * 20 * 60
    error_message = "The size is the document's exact UTF-8 length: one byte per ASCII character, three per \"✓\"."
  }
}

run "large_document_with_kms_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ignore      = [for i in range(40) : { id = format("CVE-2024-%05d", i), repositories = "^legacy/", until = "2027-01-31", reason = "accepted by the security review of 2026-11" }]
  }

  assert {
    condition     = aws_ssm_parameter.config[0].type == "SecureString" && aws_ssm_parameter.config[0].key_id == var.kms_key_arn
    error_message = "With a KMS key the config parameter is a SecureString under that key."
  }
}

# Secret ARNs and custom reporter options that are only known after apply (resources created alongside the
# module) must not stop the plan: the size estimate counts them as placeholders.
run "unknown_arns_still_plan" {
  command = plan

  variables {
    config_storage = "auto"
  }

  assert {
    condition     = local.config_size_estimate >= local.config_bytes
    error_message = "The estimate is never below the document's real size."
  }
}

run "config_storage_forced_to_parameter" {
  command = plan

  variables {
    config_storage = "parameter"
  }

  assert {
    condition     = length(aws_ssm_parameter.config) == 1 && aws_lambda_function.scan_images.environment[0].variables.ECR_SCAN_REPORTER_CONFIG_PARAMETER == "/ecr-scan-reporter/config"
    error_message = "config_storage = \"parameter\" always keeps the document in SSM."
  }
}
