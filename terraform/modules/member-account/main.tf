# ecr-scan-reporter in a member account (docs/architecture.md, "Multi-account"): what a hub deployment needs of an
# account whose registry it covers, and nothing else.
#
#   hub functions ─sts:AssumeRole (ExternalId)─► read-and-scan role ─► this account's ECR (and Inspector findings)
#   ECR / Inspector scan events ─► EventBridge rule ─(forwarding role: events:PutEvents)─► the hub's event bus
#
# IAM is global and ECR regional: the instance of one region creates the role (create_role), every region's
# instance forwards that region's events. No wildcard actions, no iam:PassRole.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  # `id` is the region's name in provider 5.x and 6.x alike (as in the hub module).
  region    = data.aws_region.current.id
  partition = data.aws_partition.current.partition

  tags = merge({ "ecr-scan-reporter" = var.role_name }, var.tags)

  # Written out from its parts, as the hub module writes it (arn:<partition>:iam::<member>:role<role_path><name>),
  # so that it is known at plan time whether or not this instance creates the role.
  role_arn = "arn:${local.partition}:iam::${local.account_id}:role${var.role_path}${var.role_name}"

  # The hub's roles, each once and in a stable order: IAM keeps the principals of a trust policy as a set.
  hub_role_arns = sort(distinct(var.hub_role_arns))

  # Only the hub's function roles may assume the role, with the ExternalId when one is set (the confused deputy
  # guard of IAM User Guide, "How to use an external ID when granting access to your AWS resources to a third
  # party"). A trust policy that names a role keeps that role's unique id: a hub role deleted and recreated is no
  # longer trusted until this module is applied again.
  trust_policy = {
    Version = "2012-10-17"
    Statement = [merge(
      {
        Sid       = "HubFunctionsAssumeRole"
        Effect    = "Allow"
        Principal = { AWS = local.hub_role_arns }
        Action    = "sts:AssumeRole"
      },
      var.external_id == null ? {} : { Condition = { StringEquals = { "sts:ExternalId" = var.external_id } } },
    )]
  }

  # What the hub's functions call in this account, with this role's credentials and the account as registryId:
  # schedule-scans lists the repositories and reads the registry's scan configuration; scan-images lists images,
  # reads their last scans and starts scans; report-findings reads a scan's findings (and, with the ledger, whether a
  # deleted image is gone); send-digests lists repositories and images. One role serves every region of the account
  # (the resource's region is "*"); ecr:GetRegistryScanningConfiguration, and under enhanced scanning
  # inspector2:ListFindings (which DescribeImageScanFindings needs to return Inspector's findings), have no resource
  # type (Service Authorization Reference) and are granted on "*".
  role_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "ReadAndScanRepositories"
          Effect   = "Allow"
          Action   = ["ecr:DescribeImageScanFindings", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:StartImageScan"]
          Resource = "arn:${local.partition}:ecr:*:${local.account_id}:repository/*"
        },
        {
          Sid      = "ReadRegistryScanningConfiguration"
          Effect   = "Allow"
          Action   = "ecr:GetRegistryScanningConfiguration"
          Resource = "*"
        },
      ],
      var.enhanced_scanning ? [{
        Sid      = "ReadInspectorFindings"
        Effect   = "Allow"
        Action   = "inspector2:ListFindings"
        Resource = "*"
      }] : [],
    )
  }

  hub_event_bus_arn = coalesce(var.hub_event_bus_arn, "arn:${local.partition}:events:${local.region}:${var.hub_account_id}:event-bus/default")

  # The events the hub's report rules route to its report queue (../../reporter.tf, report_event_patterns), one
  # alternative each: ECR's basic scan results, Inspector's initial scans and finding changes of ECR images under
  # enhanced scanning, and ECR's image deletions for the findings ledger. Forwarded events keep their `account` (this
  # account), which report-findings reads to pick the role it assumes. terraform/tests/multi-account.tftest.hcl
  # holds these to the hub's patterns.
  event_patterns = {
    ecr_image_scan = {
      source        = ["aws.ecr"]
      "detail-type" = ["ECR Image Scan"]
      detail        = { "scan-status" = var.notify_on_scan_failure ? ["COMPLETE", "FAILED"] : ["COMPLETE"] }
    }
    inspector2_scan = {
      source        = ["aws.inspector2"]
      "detail-type" = ["Inspector2 Scan"]
      resources     = [{ prefix = "arn:${local.partition}:ecr:" }]
      detail        = { "scan-status" = ["INITIAL_SCAN_COMPLETE"] }
    }
    inspector2_finding = {
      source        = ["aws.inspector2"]
      "detail-type" = ["Inspector2 Finding"]
      detail        = { resources = { type = ["AWS_ECR_CONTAINER_IMAGE"] } }
    }
    ecr_image_delete = {
      source        = ["aws.ecr"]
      "detail-type" = ["ECR Image Action"]
      detail        = { "action-type" = ["DELETE"], result = ["SUCCESS"] }
    }
  }
  # As the hub's reporter.tf decides its rules: Inspector's events only under enhanced scanning, its finding events
  # then by default (enhanced_finding_events null), since the initial scan event alone misses what a rescan finds.
  inspector_finding_events = var.enhanced_scanning && (var.enhanced_finding_events == null ? true : var.enhanced_finding_events)
  event_pattern_enabled = {
    ecr_image_scan     = true
    inspector2_scan    = var.enhanced_scanning
    inspector2_finding = local.inspector_finding_events
    ecr_image_delete   = var.ledger_enabled
  }
  # In the order of their keys, as the hub module's report_rule_names lists its rules.
  forwarded_event_patterns = [for key in sort(keys(local.event_patterns)) : local.event_patterns[key] if local.event_pattern_enabled[key]]

  # IAM role names are global: the region keeps the forwarding roles of two regions apart.
  forward_role_name = "${var.role_name}-forward-${local.region}"
  forward_rule_name = "${var.role_name}-forward"
  # A rule of the default bus: arn:<partition>:events:<region>:<account>:rule/<name> (EventBridge User Guide,
  # "Managing access permissions to your Amazon EventBridge resources"), written out so the forwarding role's trust
  # names it at plan time, before the rule exists.
  forward_rule_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.forward_rule_name}"

  # Only EventBridge may assume the forwarding role, and only for this account's forwarding rule: the confused
  # deputy guard of EventBridge User Guide, "Cross-service confused deputy prevention in Amazon EventBridge" (for a
  # rule's target, aws:SourceArn is the rule's ARN, aws:SourceAccount the rule's account). Without it EventBridge
  # would assume the role for any rule it is made a target's role of, by whoever may iam:PassRole it.
  forward_trust_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeAssumeRole"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = {
          "aws:SourceAccount" = local.account_id
          "aws:SourceArn"     = local.forward_rule_arn
        }
      }
    }]
  }

  # EventBridge sends to the hub's bus with this role (EventBridge User Guide, "Sending and receiving events between
  # AWS accounts"): PutEvents on exactly that bus. The hub's bus policy admits this account.
  forward_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ForwardToHubEventBus"
      Effect   = "Allow"
      Action   = "events:PutEvents"
      Resource = local.hub_event_bus_arn
    }]
  }
}

resource "aws_iam_role" "member" {
  count = var.create_role ? 1 : 0

  name                 = var.role_name
  path                 = var.role_path
  description          = "ecr-scan-reporter: the hub ${var.hub_account_id} reads and scans this account's ECR images"
  assume_role_policy   = jsonencode(local.trust_policy)
  permissions_boundary = var.role_permissions_boundary

  tags = local.tags

  lifecycle {
    # A role in another account than the hub's would never be one of its functions' roles.
    precondition {
      condition     = alltrue([for arn in var.hub_role_arns : split(":", arn)[4] == var.hub_account_id])
      error_message = "hub_role_arns must be roles of the hub account (hub_account_id ${var.hub_account_id}): ${join(", ", [for arn in var.hub_role_arns : arn if split(":", arn)[4] != var.hub_account_id])} is not. Pass the hub module's output function_role_arns."
    }

    # The hub covers its own registry with its functions' own roles; a member role there is a mistake.
    precondition {
      condition     = local.account_id != var.hub_account_id
      error_message = "This is the hub account (${var.hub_account_id}): the hub reads its own registry with its functions' roles and needs no member role. Apply this module in the member accounts only."
    }
  }
}

resource "aws_iam_role_policy" "member" {
  count = var.create_role ? 1 : 0

  name   = "read-and-scan"
  role   = aws_iam_role.member[0].id
  policy = jsonencode(local.role_policy)
}

resource "aws_cloudwatch_event_rule" "forward" {
  count = var.forward_events ? 1 : 0

  name          = local.forward_rule_name
  description   = "ecr-scan-reporter: ECR and Inspector scan events of this account to the hub's event bus (account ${var.hub_account_id})."
  event_pattern = jsonencode({ "$or" = local.forwarded_event_patterns })

  tags = local.tags

  lifecycle {
    # The hub's own events are already on its default bus, where its report rules listen: a rule there that
    # forwards them to that bus would put each one there a second time. The member role's check above runs only
    # with create_role; an instance with create_role = false (a second region's) is checked here.
    precondition {
      condition     = local.account_id != var.hub_account_id
      error_message = "This is the hub account (${var.hub_account_id}): its scan events are already on its own default bus, where its report rules listen, and forwarding them to that bus would put each one there twice. Apply this module in the member accounts only."
    }

    # The hub's reporter.tf holds enhanced_finding_events to the same rule.
    precondition {
      condition     = var.enhanced_finding_events != true || var.enhanced_scanning
      error_message = "enhanced_finding_events = true needs enhanced_scanning = true: Inspector2 Finding events exist only for a registry on enhanced scanning."
    }
  }
}

resource "aws_iam_role" "forward" {
  count = var.forward_events ? 1 : 0

  name = local.forward_role_name
  path = var.role_path
  # The region is in the name: the roles of two regions' instances do not collide in IAM.
  description          = "ecr-scan-reporter: EventBridge forwards ${local.region}'s scan events to the hub's event bus"
  assume_role_policy   = jsonencode(local.forward_trust_policy)
  permissions_boundary = var.role_permissions_boundary

  tags = local.tags
}

resource "aws_iam_role_policy" "forward" {
  count = var.forward_events ? 1 : 0

  name   = "forward-to-hub"
  role   = aws_iam_role.forward[0].id
  policy = jsonencode(local.forward_policy)
}

resource "aws_cloudwatch_event_target" "forward" {
  count = var.forward_events ? 1 : 0

  rule      = aws_cloudwatch_event_rule.forward[0].name
  target_id = "hub-event-bus"
  arn       = local.hub_event_bus_arn
  role_arn  = aws_iam_role.forward[0].arn
}
