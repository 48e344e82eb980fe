# Each example applied against the mock provider: one run per directory of examples/ that instantiates the module,
# named after it (hyphens as underscores). test/terraform-config.test.ts reads the configuration document each
# module instance hands its functions from these runs' states and checks it with the functions' schemas, and fails
# when an example has no run here.
#
# apply, not plan: the examples pass ARNs of resources they create to the module, which a plan leaves unknown. The
# overrides give those resources ARNs the module's validations accept.

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
