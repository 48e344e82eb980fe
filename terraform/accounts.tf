# Multi-account (docs/architecture.md, "Multi-account"): the registries of other accounts this deployment (the hub)
# covers. Each member account applies modules/member-account: a read-and-scan role the functions assume, and a rule
# that forwards its scan events to this account's default event bus, where the report rules (reporter.tf) route
# them with this account's own: those rules match events of any account, and the bus only takes the events of the
# accounts its policy below admits.

locals {
  multi_account = length(var.member_accounts) > 0

  # The member roles as modules/member-account names them, on this module's role_path.
  member_role_arns = { for member in var.member_accounts :
    member.account_id => "arn:${local.partition}:iam::${member.account_id}:role${var.role_path}${var.member_role_name}"
  }

  # The document's `accounts` (core's accountEntrySchema): the hub's own entry (no roleArn: the functions' own
  # credentials) unless include_hub_account = false, then one entry per member. Written when there are members, or
  # when the hub has a name to show; absent, the functions cover this account only, as without this feature.
  hub_account_entry = { for k, v in { accountId = local.account_id, name = var.hub_account_name } : k => v if v != null }
  member_account_entries = [for member in var.member_accounts : { for k, v in {
    accountId  = member.account_id
    roleArn    = local.member_role_arns[member.account_id]
    externalId = member.external_id
    name       = member.name
  } : k => v if v != null }]
  account_entries = concat(
    var.include_hub_account ? [local.hub_account_entry] : [],
    local.member_account_entries,
  )
  config_accounts = { for key, entries in { accounts = local.account_entries } : key => entries if local.multi_account || var.hub_account_name != null }

  # reporters[].accounts items that name no account the document covers (core's schema refuses them at cold start;
  # the plan says so first, naming each). Without `accounts` only 12-digit ids are accepted.
  covered_account_keys = flatten([for entry in local.account_entries : compact([entry.accountId, try(entry.name, "")])])
  reporter_account_routes = concat(
    [for name, reporter in var.reporters : { where = "reporters.${name}.accounts", items = reporter.accounts } if reporter != null && try(reporter.accounts, null) != null],
    [for i, reporter in local.custom_reporters : { where = "custom_reporters[${i}].accounts", items = reporter.accounts } if reporter.accounts != null],
  )
  uncovered_reporter_accounts = flatten([for route in local.reporter_account_routes : concat(
    length(route.items) == 0 ? ["${route.where}: [] (leave accounts out to route every account)"] : [],
    [for item in route.items : "${route.where}: \"${item}\"" if length(local.config_accounts) > 0 ? !contains(local.covered_account_keys, item) : !can(regex("^[0-9]{12}$", item))],
  )])

  # Every function reads ECR (schedule-scans and send-digests list repositories and images, scan-images scans,
  # report-findings reads findings), so every one may assume the member roles, and only those (iam.tf,
  # shared_statements).
  assume_member_roles_statement = !local.multi_account ? [] : [{
    Sid      = "AssumeMemberRoles"
    Effect   = "Allow"
    Action   = "sts:AssumeRole"
    Resource = [for id in sort(keys(local.member_role_arns)) : local.member_role_arns[id]]
  }]

  # The roles of the deployed functions, written out from their parts (arn:<partition>:iam::<account>:role<path>
  # <name>) so that a member module given them knows its trust policy at plan time.
  function_role_arns = { for key in keys(local.deployed_function_names) :
    key => "arn:${local.partition}:iam::${local.account_id}:role${var.role_path}${local.role_names[key]}"
  }

  # The default bus admits PutEvents from the member accounts and, with organization_id, from any principal of the
  # organization (aws:PrincipalOrgID): the member modules' forwarding roles send with PutEvents (EventBridge User
  # Guide, "Permissions for event buses"). The organization's statement spares a bus policy change per new member;
  # an account it admits that member_accounts does not list has its events logged and dropped by report-findings,
  # which never reads a registry without the account's listed role.
  default_event_bus_arn = "${local.arn_prefix.events}:event-bus/default"
  event_bus_statements = concat(
    !local.multi_account ? [] : [{
      Sid       = "MemberAccountsPutEvents"
      Effect    = "Allow"
      Principal = { AWS = [for id in sort(keys(local.member_role_arns)) : "arn:${local.partition}:iam::${id}:root"] }
      Action    = "events:PutEvents"
      Resource  = local.default_event_bus_arn
    }],
    var.organization_id == null ? [] : [{
      Sid       = "OrganizationPutEvents"
      Effect    = "Allow"
      Principal = "*"
      Action    = "events:PutEvents"
      Resource  = local.default_event_bus_arn
      Condition = { StringEquals = { "aws:PrincipalOrgID" = var.organization_id } }
    }],
  )
}

# The accounts are checked by preconditions of schedule-scans' policy (iam.tf), which every plan has.

# The default bus has one resource policy: this replaces any other the account gives it (a bus policy managed
# elsewhere must be merged into one, README "Multi-account (AWS Organizations)").
resource "aws_cloudwatch_event_bus_policy" "default" {
  count = length(local.event_bus_statements) > 0 ? 1 : 0

  event_bus_name = "default"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.event_bus_statements
  })

}
