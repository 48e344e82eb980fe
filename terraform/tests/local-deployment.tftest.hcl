# The module as the sandbox's LocalDeployment runs it (packages/sandbox/src/local-deployment.ts), and one
# configuration with every other option that adds an IAM statement. scripts/render-iam.ts reads the plans of these
# runs and writes the rendered policies, and the names they assume, to packages/sandbox/src/iam/module-policies.json;
# test/terraform-iam.test.ts fails when that file is stale. The mock's account (123456789012) and region
# (eu-west-1) are the sandbox's, so the queue and topic ARNs the module writes out are the ones the sandbox creates.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Every built-in reporter, secrets in both stores (the Slack webhook URL as a complete Secrets Manager ARN, the
# GitHub token in an SSM SecureString parameter), an e-mail sender and recipient (verified identities of an account
# still in the SES sandbox), the example's Teams reporter (its webhook URL in a parameter, as the demo keeps it),
# enhanced scanning, and the findings ledger (on by default) under the AWS managed key. The document stays in the
# environment, as LocalDeployment hands it.
variables {
  config_storage    = "environment"
  enhanced_scanning = true
  reporters = {
    slack   = { webhook_url_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-scan-reporter/slack-webhook-Ab12Cd" }
    github  = { owner = "acme", repo = "security", token_parameter = "/ecr-scan-reporter/github-token" }
    email   = { from = "ECR scans <scans@acme.example>", to = ["security@acme.example"] }
    metrics = { namespace = "EcrScanReporter" }
  }
  custom_reporters = [{
    package      = "@acme/ecr-reporter-teams"
    layer_arn    = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:1"
    min_severity = "HIGH"
    options      = { webhookUrl = { parameter = "/ecr-scan-reporter/demo-webhook-url" }, title = "ECR image scan (demo)" }
  }]
  ses_recipient_identities = ["security@acme.example"]
}

run "local_deployment" {
  command = plan

  assert {
    condition     = output.config_parameter_name == null && one([for r in jsondecode(output.config_document).reporters : r.options.topicArn if r.use == "sns"]) == "arn:aws:sns:eu-west-1:123456789012:ecr-scan-reporter-findings"
    error_message = "The local deployment's document is in the environment, and the topic is the one the sandbox creates."
  }

  assert {
    condition = (output.ledger_table_name == "ecr-scan-reporter-ledger"
      && contains([for s in jsondecode(aws_iam_role_policy.scan_images.policy).Statement : s.Sid], "TrackScansInLedger")
      && contains([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s.Sid], "TrackReportsInLedger")
    && contains([for s in jsondecode(aws_iam_role_policy.send_digests[0].policy).Statement : s.Sid], "TrackDigestsInLedger"))
    error_message = "The local deployment has the ledger, and the policies the sandbox enforces grant its use."
  }

  assert {
    condition     = length(aws_lambda_function.send_digests) == 1 && length(aws_sqs_queue.digest_dlq) == 1
    error_message = "The local deployment has the digests: scripts/render-iam.ts renders send-digests' policy and its DLQ."
  }
}

# The same, plus every option that adds a statement: the document in an SSM parameter, a module key, a VPC, active
# tracing, an existing topic (the same ARN) under a key of kms_key_arns, a second custom reporter whose secret is
# in another account (a partial ARN, under another key of kms_key_arns), an SES configuration set, and the ledger
# under a key of its own (DynamoDB decrypts the table's key with it on behalf of the functions).
run "all_options" {
  command = plan

  variables {
    config_storage         = "parameter"
    kms_key_arn            = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    kms_key_arns           = ["arn:aws:kms:eu-west-1:210987654321:key/5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f", "arn:aws:kms:eu-west-1:123456789012:key/9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a"]
    ledger_kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/7e6d5c4b-3a29-4f18-9e0d-c1b2a3948576"
    vpc_subnet_ids         = ["subnet-0123456789abcdef0"]
    vpc_security_group_ids = ["sg-0123456789abcdef0"]
    tracing_mode           = "Active"
    reporters = {
      sns     = { topic_arn = "arn:aws:sns:eu-west-1:123456789012:ecr-scan-reporter-findings" }
      slack   = { webhook_url_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-scan-reporter/slack-webhook-Ab12Cd" }
      github  = { owner = "acme", repo = "security", token_parameter = "/ecr-scan-reporter/github-token" }
      email   = { from = "ECR scans <scans@acme.example>", to = ["security@acme.example"], configuration_set = "ecr-scan-reports" }
      metrics = { namespace = "EcrScanReporter" }
    }
    custom_reporters = [
      {
        package      = "@acme/ecr-reporter-teams"
        layer_arn    = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:1"
        min_severity = "HIGH"
        options      = { webhookUrl = { parameter = "/ecr-scan-reporter/demo-webhook-url" }, title = "ECR image scan (demo)" }
      },
      {
        package   = "@acme/ecr-reporter-pager"
        layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:1"
        options   = { routingKey = { secretArn = "arn:aws:secretsmanager:eu-west-1:210987654321:secret:pager-routing-key" } }
      },
    ]
  }

  assert {
    condition     = output.config_parameter_name == "/ecr-scan-reporter/config"
    error_message = "config_storage = \"parameter\" puts the document in /<name_prefix>/config."
  }

  assert {
    condition     = aws_dynamodb_table.ledger[0].server_side_encryption[0].kms_key_arn == var.ledger_kms_key_arn
    error_message = "The ledger table is under its own key, which DecryptLedgerTable names."
  }
}

# The local deployment as a hub with two member accounts (210987654321, team-a, with an ExternalId, and
# 345678901234, team-b): its functions may assume the member roles (AssumeMemberRoles), which the sandbox's STS
# checks.
run "multi_account" {
  command = plan

  variables {
    hub_account_name = "hub"
    member_accounts = [
      { account_id = "210987654321", name = "team-a", external_id = "ecr-scan-reporter-demo" },
      { account_id = "345678901234", name = "team-b" },
    ]
  }

  assert {
    condition     = length(jsondecode(output.config_document).accounts) == 3 && output.config_parameter_name == null
    error_message = "The hub's document covers itself and both members, and stays in the environment as LocalDeployment hands it."
  }

  assert {
    condition     = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] : contains([for s in jsondecode(policy).Statement : s.Sid], "AssumeMemberRoles")])
    error_message = "Every function of the hub may assume the member roles."
  }
}

# A member account's module (account 210987654321) trusting the local deployment's function roles, on enhanced
# scanning like the local deployment (the file's enhanced_scanning): scripts/render-iam.ts renders its role's policy and trust policy as
# memberAccount, the role the sandbox gives each member account.
run "member_account" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    hub_account_id = "123456789012"
    hub_role_arns = [
      "arn:aws:iam::123456789012:role/ecr-scan-reporter-schedule-scans-eu-west-1",
      "arn:aws:iam::123456789012:role/ecr-scan-reporter-scan-images-eu-west-1",
      "arn:aws:iam::123456789012:role/ecr-scan-reporter-report-findings-eu-west-1",
      "arn:aws:iam::123456789012:role/ecr-scan-reporter-send-digests-eu-west-1",
    ]
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  assert {
    condition     = sort(jsondecode(aws_iam_role.member[0].assume_role_policy).Statement[0].Principal.AWS) == sort([for name in ["schedule_scans", "scan_images", "report_findings", "send_digests"] : run.local_deployment.function_role_arns[name]])
    error_message = "The member role trusts the local deployment's function roles."
  }

  assert {
    condition     = contains([for s in jsondecode(aws_iam_role_policy.member[0].policy).Statement : s.Sid], "ReadInspectorFindings")
    error_message = "On enhanced scanning, like the local deployment."
  }
}
