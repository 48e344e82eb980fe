# Each example applied against the mock provider: one run per directory of examples/ that instantiates the module,
# named after it (hyphens as underscores). test/terraform-config.test.ts reads the configuration document each
# module instance hands its functions from these runs' states and checks it with the functions' schemas, and fails
# when an example has no run here.
#
# apply, not plan: the examples pass ARNs of resources they create to the module, which a plan leaves unknown. The
# overrides give those resources ARNs the module's validations accept. Required variables of an example (what only
# its user can provide) are given here as a user would.

mock_provider "aws" {
  source = "./tests/mocks"
}

mock_provider "aws" {
  alias  = "ireland"
  source = "./tests/mocks"
}

mock_provider "aws" {
  alias  = "virginia"
  source = "./tests/mocks"
}

run "complete" {
  command = apply

  module {
    source = "./examples/complete"
  }

  variables {
    reporters_layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-ecr-reporters:3"
    templates_layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-ecr-templates:1"
  }

  override_resource {
    target = aws_secretsmanager_secret.slack_webhook
    values = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-scan-reporter/slack-webhook-AbCdEf" }
  }

  override_resource {
    target = aws_secretsmanager_secret.teams_webhook
    values = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-scan-reporter/teams-webhook-AbCdEf" }
  }
}

run "custom_reporter" {
  command = apply

  module {
    source = "./examples/custom-reporter"
  }

  override_data {
    target = data.aws_secretsmanager_secret.teams_webhook
    values = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-scan-reporter/teams-webhook-AbCdEf" }
  }

  override_resource {
    target = aws_lambda_layer_version.teams_reporter
    values = { arn = "arn:aws:lambda:eu-west-1:123456789012:layer:ecr-reporter-teams:1" }
  }
}

# A plan of the example must already know what the module derives from the account and region (its ARNs, the
# configuration document): a depends_on on the module would defer its data sources, and all of that, to apply.
run "enhanced_scanning_plan" {
  command = plan

  module {
    source = "./examples/enhanced-scanning"
  }

  assert {
    condition     = jsondecode(output.config_document).reporters[0].options.topicArn == "arn:aws:sns:eu-west-1:123456789012:ecr-scan-reporter-findings"
    error_message = "The plan knows the module's configuration document (no depends_on on the module)."
  }

  assert {
    condition     = keys(output.report_rule_names) == ["ecr_image_delete", "ecr_image_scan", "inspector2_finding", "inspector2_scan"]
    error_message = "The example routes Inspector's scan and finding events, and (with the ledger, by default) ECR's image deletions."
  }
}

run "enhanced_scanning" {
  command = apply

  module {
    source = "./examples/enhanced-scanning"
  }
}

run "minimal" {
  command = apply

  module {
    source = "./examples/minimal"
  }
}

run "multi_region" {
  command = apply

  module {
    source = "./examples/multi-region"
  }
}
