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
    condition     = aws_ssm_parameter.config[0].type == "String"
    error_message = "Without a KMS key the parameter is a String: the document holds references to secrets, never their values."
  }

  assert {
    condition = alltrue([for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images, aws_lambda_function.report_findings, aws_lambda_function.send_digests[0]] :
      fn.environment[0].variables.ECR_SCAN_REPORTER_CONFIG_PARAMETER == aws_ssm_parameter.config[0].name && !can(fn.environment[0].variables.ECR_SCAN_REPORTER_CONFIG)
    ])
    error_message = "The functions are given the name of the parameter that holds the document, instead of the document."
  }

  # The functions read the parameter at cold start with their own roles.
  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      anytrue([for s in jsondecode(policy).Statement : s.Effect == "Allow" && contains(flatten([s.Action]), "ssm:GetParameter") && contains(flatten([s.Resource]), "arn:aws:ssm:eu-west-1:123456789012:parameter${aws_ssm_parameter.config[0].name}")])
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

# Secret ARNs that are only known after apply (secrets created alongside the module, as examples/complete does)
# must not stop the plan: the size estimate counts them as placeholders, so where the document goes is known at
# plan time although the document itself is not (an assertion on an unknown value fails the run).
run "unknown_arns_still_plan" {
  command = plan

  module {
    source = "./examples/complete"
  }

  variables {
    reporters_layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-ecr-reporters:3"
    templates_layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-ecr-templates:1"
  }

  assert {
    condition     = module.ecr_scan_reporter.config_parameter_name == null
    error_message = "With the secrets' ARNs unknown, the example's document is still known to fit the environment."
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
