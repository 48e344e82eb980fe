# modules/member-account, planned (or applied against the mock) in a member account, 210987654321: the
# read-and-scan role the hub's functions assume, and the rule that forwards the account's scan events to the hub's
# event bus. Its validations and preconditions trip in validation.tftest.hcl; scripts/render-iam.ts renders the
# role's policies of run "member_account" in local-deployment.tftest.hcl for the sandbox.

mock_provider "aws" {
  source = "./tests/mocks"
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

# Applied, so that the target's role is the forwarding role's ARN (the overrides give the roles distinct ones).
run "member_defaults" {
  command = apply

  module {
    source = "./modules/member-account"
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  override_resource {
    target = aws_iam_role.member
    values = { arn = "arn:aws:iam::210987654321:role/ecr-scan-reporter-member" }
  }

  override_resource {
    target = aws_iam_role.forward
    values = { arn = "arn:aws:iam::210987654321:role/ecr-scan-reporter-member-forward-eu-west-1" }
  }

  override_resource {
    target = aws_cloudwatch_event_rule.forward
    values = { arn = "arn:aws:events:eu-west-1:210987654321:rule/ecr-scan-reporter-member-forward" }
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.member[0].policy).Statement == [
      {
        Sid      = "ReadAndScanRepositories"
        Effect   = "Allow"
        Action   = ["ecr:DescribeImageScanFindings", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:StartImageScan"]
        Resource = "arn:aws:ecr:*:210987654321:repository/*"
      },
      {
        Sid      = "ReadRegistryScanningConfiguration"
        Effect   = "Allow"
        Action   = "ecr:GetRegistryScanningConfiguration"
        Resource = "*"
      },
    ]
    error_message = "The role reads and scans the account's repositories in every region, and reads the registry's scan configuration (no resource type: \"*\"); nothing else."
  }

  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.member[0].policy, aws_iam_role_policy.forward[0].policy, aws_iam_role.member[0].assume_role_policy, aws_iam_role.forward[0].assume_role_policy] :
      alltrue(flatten([for s in jsondecode(policy).Statement : [for action in flatten([s.Action]) : !strcontains(action, "*") && action != "iam:PassRole" && s.Effect == "Allow"]]))
    ])
    error_message = "No action of the module's policies has a wildcard, and no role may pass roles."
  }

  assert {
    condition = jsondecode(aws_iam_role.member[0].assume_role_policy).Statement == [{
      Sid       = "HubFunctionsAssumeRole"
      Effect    = "Allow"
      Principal = { AWS = [for arn in sort(var.hub_role_arns) : arn] }
      Action    = "sts:AssumeRole"
    }]
    error_message = "Only the hub's function roles may assume the role; without external_id, no ExternalId condition."
  }

  assert {
    condition     = aws_iam_role.member[0].name == "ecr-scan-reporter-member" && aws_iam_role.member[0].path == "/" && aws_iam_role_policy.member[0].name == "read-and-scan"
    error_message = "The role has the name and path the hub module writes its ARN with (member_role_name, role_path)."
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.forward[0].event_pattern) == {
      "$or" = [
        { source = ["aws.ecr"], "detail-type" = ["ECR Image Action"], detail = { "action-type" = ["DELETE"], result = ["SUCCESS"] } },
        { source = ["aws.ecr"], "detail-type" = ["ECR Image Scan"], detail = { "scan-status" = ["COMPLETE", "FAILED"] } },
      ]
    }
    error_message = "By default the rule forwards basic scan results, failures included, and image deletions (for the hub's ledger), as the hub's rules route them (multi-account.tftest.hcl)."
  }

  assert {
    condition = (aws_cloudwatch_event_target.forward[0].arn == "arn:aws:events:eu-west-1:123456789012:event-bus/default"
    && aws_cloudwatch_event_target.forward[0].role_arn == "arn:aws:iam::210987654321:role/ecr-scan-reporter-member-forward-eu-west-1")
    error_message = "The rule sends to the hub's default bus in the region, with the forwarding role."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.forward[0].policy).Statement == [{
      Sid      = "ForwardToHubEventBus"
      Effect   = "Allow"
      Action   = "events:PutEvents"
      Resource = "arn:aws:events:eu-west-1:123456789012:event-bus/default"
    }]
    error_message = "The forwarding role may put events on the hub's bus, and only there."
  }

  assert {
    condition = (jsondecode(aws_iam_role.forward[0].assume_role_policy).Statement == [{
      Sid       = "EventBridgeAssumeRole"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = {
          "aws:SourceAccount" = "210987654321"
          "aws:SourceArn"     = "arn:aws:events:eu-west-1:210987654321:rule/ecr-scan-reporter-member-forward"
        }
      }
    }] && aws_iam_role.forward[0].name == "ecr-scan-reporter-member-forward-eu-west-1")
    error_message = "Only EventBridge assumes the forwarding role, only for this account's forwarding rule (aws:SourceAccount, aws:SourceArn: no confused deputy); its name carries the region (one per region's instance)."
  }

  # The ARN the trust names is the rule's own (the override gives the rule the ARN AWS gives a default bus's rule).
  assert {
    condition     = jsondecode(aws_iam_role.forward[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceArn"] == aws_cloudwatch_event_rule.forward[0].arn
    error_message = "The forwarding role trusts EventBridge for exactly the rule that sends with it."
  }

  assert {
    condition = (output.account_id == "210987654321" && output.role_name == "ecr-scan-reporter-member"
      && output.role_arn == "arn:aws:iam::210987654321:role/ecr-scan-reporter-member"
    && output.event_rule_arn == "arn:aws:events:eu-west-1:210987654321:rule/ecr-scan-reporter-member-forward")
    error_message = "The outputs name the account, its role (as the hub writes its ARN) and the rule."
  }
}

# Enhanced scanning, an ExternalId, no ledger and no failure reports at the hub.
run "member_enhanced_scanning_external_id" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    enhanced_scanning      = true
    external_id            = "ecr-scan-reporter:team-a/7f3c"
    ledger_enabled         = false
    notify_on_scan_failure = false
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.member[0].policy).Statement : s if s.Sid == "ReadInspectorFindings"] == [{
      Sid      = "ReadInspectorFindings"
      Effect   = "Allow"
      Action   = "inspector2:ListFindings"
      Resource = "*"
    }]
    error_message = "Under enhanced scanning the role may list Inspector's findings (no resource type: \"*\")."
  }

  assert {
    condition     = flatten([for s in jsondecode(aws_iam_role_policy.member[0].policy).Statement : flatten([s.Action]) if s.Resource == "*"]) == ["ecr:GetRegistryScanningConfiguration", "inspector2:ListFindings"]
    error_message = "Only the two actions without a resource type are granted on \"*\"."
  }

  assert {
    condition     = jsondecode(aws_iam_role.member[0].assume_role_policy).Statement[0].Condition == { StringEquals = { "sts:ExternalId" = "ecr-scan-reporter:team-a/7f3c" } }
    error_message = "With external_id, the hub's roles must give it."
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.forward[0].event_pattern)["$or"] == [
      { source = ["aws.ecr"], "detail-type" = ["ECR Image Scan"], detail = { "scan-status" = ["COMPLETE"] } },
      { source = ["aws.inspector2"], "detail-type" = ["Inspector2 Finding"], detail = { resources = { type = ["AWS_ECR_CONTAINER_IMAGE"] } } },
      { source = ["aws.inspector2"], "detail-type" = ["Inspector2 Scan"], resources = [{ prefix = "arn:aws:ecr:" }], detail = { "scan-status" = ["INITIAL_SCAN_COMPLETE"] } },
    ]
    error_message = "Under enhanced scanning Inspector's scans and (enhanced_finding_events null: by default) finding changes of ECR images are forwarded; without the ledger no deletions, and no failed scans when the hub does not report them."
  }
}

# The longest ExternalId STS takes (validation.tftest.hcl refuses one more character).
run "member_external_id_of_1224_characters" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    external_id = format("%01224d", 7)
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  assert {
    condition     = length(jsondecode(aws_iam_role.member[0].assume_role_policy).Statement[0].Condition.StringEquals["sts:ExternalId"]) == 1224
    error_message = "An ExternalId of 1224 characters is accepted and required."
  }
}

# The instance of the account's second region: the role exists (made by the first region's instance), only this
# region's events are forwarded, to the hub's bus in this region.
run "member_second_region" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    create_role = false
    role_path   = "/service/"
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  override_data {
    target = data.aws_region.current
    values = { id = "us-east-1", name = "us-east-1" }
  }

  assert {
    condition     = length(aws_iam_role.member) == 0 && length(aws_iam_role_policy.member) == 0
    error_message = "With create_role = false no read-and-scan role is made."
  }

  assert {
    condition     = output.role_arn == "arn:aws:iam::210987654321:role/service/ecr-scan-reporter-member"
    error_message = "role_arn still names the role, on its path, as the hub writes it."
  }

  assert {
    condition = (aws_cloudwatch_event_target.forward[0].arn == "arn:aws:events:us-east-1:123456789012:event-bus/default"
      && aws_iam_role.forward[0].name == "ecr-scan-reporter-member-forward-us-east-1" && aws_iam_role.forward[0].path == "/service/"
    && jsondecode(aws_iam_role_policy.forward[0].policy).Statement[0].Resource == "arn:aws:events:us-east-1:123456789012:event-bus/default")
    error_message = "The second region forwards to the hub's bus of that region, with a role of its own."
  }

  assert {
    condition     = jsondecode(aws_iam_role.forward[0].assume_role_policy).Statement[0].Condition.StringEquals == { "aws:SourceAccount" = "210987654321", "aws:SourceArn" = "arn:aws:events:us-east-1:210987654321:rule/ecr-scan-reporter-member-forward" }
    error_message = "The second region's forwarding role trusts EventBridge only for that region's rule."
  }
}

# Enhanced scanning without Inspector's finding events (set as the hub's enhanced_finding_events = false): only the
# initial scans are forwarded, as multi-account.tftest.hcl's enhanced_without_finding_events routes them.
run "member_enhanced_scanning_without_finding_events" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    enhanced_scanning       = true
    enhanced_finding_events = false
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.forward[0].event_pattern)["$or"] == [
      { source = ["aws.ecr"], "detail-type" = ["ECR Image Action"], detail = { "action-type" = ["DELETE"], result = ["SUCCESS"] } },
      { source = ["aws.ecr"], "detail-type" = ["ECR Image Scan"], detail = { "scan-status" = ["COMPLETE", "FAILED"] } },
      { source = ["aws.inspector2"], "detail-type" = ["Inspector2 Scan"], resources = [{ prefix = "arn:aws:ecr:" }], detail = { "scan-status" = ["INITIAL_SCAN_COMPLETE"] } },
    ]
    error_message = "enhanced_finding_events = false forwards Inspector's initial scans but no finding events."
  }

  assert {
    condition     = contains([for s in jsondecode(aws_iam_role_policy.member[0].policy).Statement : s.Sid], "ReadInspectorFindings")
    error_message = "The role still reads Inspector's findings: DescribeImageScanFindings needs it under enhanced scanning."
  }
}

# A bus of the hub given by ARN; and an instance that forwards nothing.
run "member_custom_hub_bus" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    hub_event_bus_arn = "arn:aws:events:eu-west-1:123456789012:event-bus/ecr-scan-events"
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  assert {
    condition = (aws_cloudwatch_event_target.forward[0].arn == var.hub_event_bus_arn
    && jsondecode(aws_iam_role_policy.forward[0].policy).Statement[0].Resource == var.hub_event_bus_arn)
    error_message = "The rule sends to, and its role may put events on, exactly the bus given."
  }
}

run "member_without_forwarding" {
  command = plan

  module {
    source = "./modules/member-account"
  }

  variables {
    forward_events = false
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "210987654321" }
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.forward) == 0 && length(aws_iam_role.forward) == 0 && length(aws_cloudwatch_event_target.forward) == 0 && output.event_rule_arn == null
    error_message = "forward_events = false: no rule, no forwarding role."
  }

  assert {
    condition     = length(aws_iam_role.member) == 1
    error_message = "The read-and-scan role is still made."
  }
}
