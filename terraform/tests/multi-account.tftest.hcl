# The hub's side of multi-account (accounts.tf): the configuration document's `accounts`, the functions' right to
# assume exactly the member roles, the default event bus's policy, and the report rules that take the members'
# forwarded events. The member's side is member-account.tftest.hcl; examples.tftest.hcl plans both together
# (examples/organization); the failures are in validation.tftest.hcl.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "member_accounts" {
  command = plan

  variables {
    hub_account_name = "security"
    member_accounts = [
      { account_id = "210987654321", name = "team-a", external_id = "ecr-scan-reporter:team-a/7f3c" },
      { account_id = "345678901234" },
    ]
  }

  assert {
    condition = jsondecode(output.config_document).accounts == [
      { accountId = "123456789012", name = "security" },
      { accountId = "210987654321", roleArn = "arn:aws:iam::210987654321:role/ecr-scan-reporter-member", externalId = "ecr-scan-reporter:team-a/7f3c", name = "team-a" },
      { accountId = "345678901234", roleArn = "arn:aws:iam::345678901234:role/ecr-scan-reporter-member" },
    ]
    error_message = "The document lists the hub (no role: its own credentials) and each member with its role, ExternalId and name when given."
  }

  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : s if s.Sid == "AssumeMemberRoles"] == [{
        Sid      = "AssumeMemberRoles"
        Effect   = "Allow"
        Action   = "sts:AssumeRole"
        Resource = ["arn:aws:iam::210987654321:role/ecr-scan-reporter-member", "arn:aws:iam::345678901234:role/ecr-scan-reporter-member"]
      }]
    ])
    error_message = "Every function (each reads ECR) may assume exactly the member roles."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : [for action in flatten([s.Action]) : !strcontains(action, "*") && action != "iam:PassRole"]]
    ]))
    error_message = "No action has a wildcard, and no role may pass roles."
  }

  assert {
    condition = flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : flatten([s.Action]) if contains(flatten([s.Resource]), "*")]
    ]) == ["ecr:GetRegistryScanningConfiguration"]
    error_message = "Members add no statement on \"*\"."
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_bus_policy.default[0].policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "MemberAccountsPutEvents"
        Effect    = "Allow"
        Principal = { AWS = ["arn:aws:iam::210987654321:root", "arn:aws:iam::345678901234:root"] }
        Action    = "events:PutEvents"
        Resource  = "arn:aws:events:eu-west-1:123456789012:event-bus/default"
      }]
    }
    error_message = "The default bus admits PutEvents from the member accounts, and only that."
  }

  assert {
    condition     = aws_cloudwatch_event_bus_policy.default[0].event_bus_name == "default"
    error_message = "The policy is the default bus's, where ECR's and Inspector's events (and the report rules) are."
  }

  assert {
    condition = output.function_role_arns == {
      schedule_scans  = "arn:aws:iam::123456789012:role/ecr-scan-reporter-schedule-scans-eu-west-1"
      scan_images     = "arn:aws:iam::123456789012:role/ecr-scan-reporter-scan-images-eu-west-1"
      report_findings = "arn:aws:iam::123456789012:role/ecr-scan-reporter-report-findings-eu-west-1"
      send_digests    = "arn:aws:iam::123456789012:role/ecr-scan-reporter-send-digests-eu-west-1"
    }
    error_message = "function_role_arns names each deployed function's role, known at plan time."
  }

  # The members' events arrive on the hub's bus with their own `account`: the report rules must not filter on it.
  assert {
    condition     = alltrue([for rule in aws_cloudwatch_event_rule.report : coalesce(rule.event_bus_name, "default") == "default" && !can(jsondecode(rule.event_pattern).account)])
    error_message = "The report rules listen on the default bus to events of any account (the bus policy decides which accounts may send)."
  }

  # What the member module forwards by default (member-account.tftest.hcl, member_defaults) is what these rules
  # route: the same patterns, in the order of the rules' keys.
  assert {
    condition = [for key in sort(keys(aws_cloudwatch_event_rule.report)) : jsondecode(aws_cloudwatch_event_rule.report[key].event_pattern)] == [
      { source = ["aws.ecr"], "detail-type" = ["ECR Image Action"], detail = { "action-type" = ["DELETE"], result = ["SUCCESS"] } },
      { source = ["aws.ecr"], "detail-type" = ["ECR Image Scan"], detail = { "scan-status" = ["COMPLETE", "FAILED"] } },
    ]
    error_message = "The hub's default rules route the events the member module forwards by default."
  }
}

# Reporters routed by account, built-in and custom, by name or id: written into the document as reporters[].accounts.
run "reporters_routed_by_account" {
  command = plan

  variables {
    member_accounts = [{ account_id = "210987654321", name = "team-a" }]
    reporters       = { sns = { accounts = ["team-a", "123456789012"] }, metrics = {} }
    custom_reporters = [{
      package   = "acme-pager"
      layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-pager:1"
      accounts  = ["210987654321"]
    }]
  }

  assert {
    condition = [for r in jsondecode(output.config_document).reporters : try(r.accounts, null)] == [
      ["team-a", "123456789012"], null, ["210987654321"],
    ]
    error_message = "sns and the custom reporter keep their accounts; metrics, without, covers every account."
  }
}

# An organization and no listed member: the bus admits the organization's accounts, the functions assume nothing
# (report-findings logs and drops the events of an account `accounts` does not list) and the document has no
# `accounts`.
run "organization_without_members" {
  command = plan

  variables {
    organization_id = "o-a1b2c3d4e5"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_bus_policy.default[0].policy).Statement == [{
      Sid       = "OrganizationPutEvents"
      Effect    = "Allow"
      Principal = "*"
      Action    = "events:PutEvents"
      Resource  = "arn:aws:events:eu-west-1:123456789012:event-bus/default"
      Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" } }
    }]
    error_message = "With organization_id the bus admits any principal of the organization, and only through aws:PrincipalOrgID."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : s.Sid != "AssumeMemberRoles" && !contains(flatten([s.Action]), "sts:AssumeRole")]
    ]))
    error_message = "Without member_accounts no function may assume a role: the organization's accounts are not read."
  }

  assert {
    condition     = !can(jsondecode(output.config_document).accounts) && output.function_role_arns.schedule_scans == "arn:aws:iam::123456789012:role/ecr-scan-reporter-schedule-scans-eu-west-1"
    error_message = "The document covers the hub's own account only (no `accounts`)."
  }
}

# Both: the listed members and the organization (a member may be outside it).
run "members_and_organization" {
  command = plan

  variables {
    organization_id = "o-a1b2c3d4e5f6g7h8"
    member_accounts = [{ account_id = "210987654321" }]
  }

  assert {
    condition     = [for s in jsondecode(aws_cloudwatch_event_bus_policy.default[0].policy).Statement : [s.Sid, s.Principal]] == [["MemberAccountsPutEvents", { AWS = ["arn:aws:iam::210987654321:root"] }], ["OrganizationPutEvents", "*"]]
    error_message = "The bus admits the members and the organization, in a statement each."
  }
}

# The member roles on the module's role_path under another name; the hub's registry left out; no digests (so no
# send-digests role to assume with); the longest ExternalId STS takes.
run "role_path_and_name_without_the_hub_account" {
  command = plan

  variables {
    role_path                  = "/service/"
    member_role_name           = "scanner"
    include_hub_account        = false
    digest_schedule_expression = null
    member_accounts            = [{ account_id = "210987654321", external_id = format("%01224d", 7) }]
  }

  assert {
    condition     = jsondecode(output.config_document).accounts == [{ accountId = "210987654321", roleArn = "arn:aws:iam::210987654321:role/service/scanner", externalId = format("%01224d", 7) }]
    error_message = "Only the member is covered, its role ARN on the module's role_path."
  }

  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy] :
      one([for s in jsondecode(policy).Statement : s.Resource if s.Sid == "AssumeMemberRoles"]) == ["arn:aws:iam::210987654321:role/service/scanner"]
    ])
    error_message = "The functions may assume the role on its path."
  }

  assert {
    condition     = keys(output.function_role_arns) == ["report_findings", "scan_images", "schedule_scans"] && output.function_role_arns.scan_images == "arn:aws:iam::123456789012:role/service/ecr-scan-reporter-scan-images-eu-west-1"
    error_message = "function_role_arns names only the deployed functions' roles, on their path."
  }
}

# A name for the hub alone: `accounts` names it, and nothing multi-account is created.
run "hub_account_name_alone" {
  command = plan

  variables {
    hub_account_name = "security"
  }

  assert {
    condition     = jsondecode(output.config_document).accounts == [{ accountId = "123456789012", name = "security" }]
    error_message = "The hub's entry carries its name, without a role."
  }

  assert {
    condition     = length(aws_cloudwatch_event_bus_policy.default) == 0
    error_message = "No bus policy without members or an organization."
  }
}

# Without any multi-account input nothing changes: no `accounts`, no bus policy, no AssumeRole.
run "single_account" {
  command = plan

  assert {
    condition     = !can(jsondecode(output.config_document).accounts) && length(aws_cloudwatch_event_bus_policy.default) == 0
    error_message = "A single-account deployment has no `accounts` and leaves the default bus's policy alone."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : !contains(flatten([s.Action]), "sts:AssumeRole")]
    ]))
    error_message = "A single-account deployment's functions assume no role."
  }
}

# Enhanced scanning without the ledger or failure reports: the hub's rules route what the member module forwards in
# that configuration (member-account.tftest.hcl, member_enhanced_scanning_external_id).
run "enhanced_rules_match_the_member_forwarding" {
  command = plan

  variables {
    enhanced_scanning      = true
    ledger_enabled         = false
    notify_on_scan_failure = false
  }

  assert {
    condition = [for key in sort(keys(aws_cloudwatch_event_rule.report)) : jsondecode(aws_cloudwatch_event_rule.report[key].event_pattern)] == [
      { source = ["aws.ecr"], "detail-type" = ["ECR Image Scan"], detail = { "scan-status" = ["COMPLETE"] } },
      { source = ["aws.inspector2"], "detail-type" = ["Inspector2 Finding"], detail = { resources = { type = ["AWS_ECR_CONTAINER_IMAGE"] } } },
      { source = ["aws.inspector2"], "detail-type" = ["Inspector2 Scan"], resources = [{ prefix = "arn:aws:ecr:" }], detail = { "scan-status" = ["INITIAL_SCAN_COMPLETE"] } },
    ]
    error_message = "The hub's rules route the events the member module forwards under enhanced scanning."
  }
}

# Enhanced scanning without Inspector's finding events: the hub routes what the member module forwards with the
# same enhanced_finding_events = false (member-account.tftest.hcl, member_enhanced_scanning_without_finding_events).
run "enhanced_without_finding_events" {
  command = plan

  variables {
    enhanced_scanning       = true
    enhanced_finding_events = false
  }

  assert {
    condition = [for key in sort(keys(aws_cloudwatch_event_rule.report)) : jsondecode(aws_cloudwatch_event_rule.report[key].event_pattern)] == [
      { source = ["aws.ecr"], "detail-type" = ["ECR Image Action"], detail = { "action-type" = ["DELETE"], result = ["SUCCESS"] } },
      { source = ["aws.ecr"], "detail-type" = ["ECR Image Scan"], detail = { "scan-status" = ["COMPLETE", "FAILED"] } },
      { source = ["aws.inspector2"], "detail-type" = ["Inspector2 Scan"], resources = [{ prefix = "arn:aws:ecr:" }], detail = { "scan-status" = ["INITIAL_SCAN_COMPLETE"] } },
    ]
    error_message = "The hub's rules route the events the member module forwards with enhanced_finding_events = false."
  }
}

# Names at the limits core's schema counts in UTF-16 code units: 32 ships (64 units, 32 characters to length()) and
# 32 letters with a combining accent that has no precomposed form (64 code points, 32 grapheme clusters); the
# longest member role name the member module takes (40). validation.tftest.hcl refuses one ship more and 41.
run "names_of_64_utf16_units" {
  command = plan

  variables {
    hub_account_name = join("", [for i in range(32) : "🚢"])
    member_accounts  = [{ account_id = "210987654321", name = join("", [for i in range(32) : "q\u0301"]) }]
    member_role_name = "ecr-scan-reporter-member-of-the-security"
  }

  assert {
    condition = jsondecode(output.config_document).accounts == [
      { accountId = "123456789012", name = join("", [for i in range(32) : "🚢"]) },
      { accountId = "210987654321", roleArn = "arn:aws:iam::210987654321:role/ecr-scan-reporter-member-of-the-security", name = join("", [for i in range(32) : "q\u0301"]) },
    ]
    error_message = "Names of 64 UTF-16 code units and a member role name of 40 characters are written into the document."
  }
}
