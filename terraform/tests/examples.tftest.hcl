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

# examples/organization: the hub's account and two members'. The mock's caller is 123456789012 everywhere; the
# runs give each member its own account with override_data.
mock_provider "aws" {
  alias  = "hub"
  source = "./tests/mocks"
}

mock_provider "aws" {
  alias  = "team_a"
  source = "./tests/mocks"
}

mock_provider "aws" {
  alias  = "team_b"
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

# The hub and two members planned together: the hub's document lists the three accounts, each member by the role
# its module creates, and the function roles the members trust are known at plan time (from the hub's output).
run "organization_plan" {
  command = plan

  module {
    source = "./examples/organization"
  }

  variables {
    organization_id    = "o-a1b2c3d4e5"
    team_a_account_id  = "210987654321"
    team_b_account_id  = "345678901234"
    team_a_external_id = "9f86d081884c7d659a2feaa0c55ad015"
  }

  override_data {
    target = module.team_a.data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  override_data {
    target = module.team_b.data.aws_caller_identity.current
    values = { account_id = "345678901234" }
  }

  assert {
    condition = jsondecode(output.config_document).accounts == [
      { accountId = "123456789012", name = "security" },
      { accountId = "210987654321", roleArn = "arn:aws:iam::210987654321:role/ecr-scan-reporter-member", externalId = "9f86d081884c7d659a2feaa0c55ad015", name = "team-a" },
      { accountId = "345678901234", roleArn = "arn:aws:iam::345678901234:role/ecr-scan-reporter-member", name = "team-b" },
    ]
    error_message = "The hub's document covers its own registry and both members', each member by the role its module creates."
  }

  assert {
    condition     = output.member_role_arns == { team-a = "arn:aws:iam::210987654321:role/ecr-scan-reporter-member", team-b = "arn:aws:iam::345678901234:role/ecr-scan-reporter-member" }
    error_message = "The member roles are where the hub's document says they are."
  }

  assert {
    condition     = output.hub_role_arns == tolist(["arn:aws:iam::123456789012:role/ecr-scan-reporter-report-findings-eu-west-1", "arn:aws:iam::123456789012:role/ecr-scan-reporter-scan-images-eu-west-1", "arn:aws:iam::123456789012:role/ecr-scan-reporter-schedule-scans-eu-west-1", "arn:aws:iam::123456789012:role/ecr-scan-reporter-send-digests-eu-west-1"])
    error_message = "The plan knows the hub's function roles the members trust (tests/member-account.tftest.hcl and multi-account.tftest.hcl check both sides' policies)."
  }
}

run "organization" {
  command = apply

  module {
    source = "./examples/organization"
  }

  variables {
    organization_id    = "o-a1b2c3d4e5"
    team_a_account_id  = "210987654321"
    team_b_account_id  = "345678901234"
    team_a_external_id = "9f86d081884c7d659a2feaa0c55ad015"
  }

  override_data {
    target = module.team_a.data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  override_data {
    target = module.team_b.data.aws_caller_identity.current
    values = { account_id = "345678901234" }
  }
}
