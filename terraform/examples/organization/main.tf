# One deployment (the hub, in the security account) scans and reports the registries of two member accounts and
# its own. Each account gets its own provider; a member's provider assumes the role AWS Organizations creates in
# every account it creates (OrganizationAccountAccessRole), so one `terraform apply` sets up all three.

provider "aws" {
  alias  = "hub"
  region = "eu-west-1"
}

provider "aws" {
  alias  = "team_a"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::${var.team_a_account_id}:role/OrganizationAccountAccessRole"
  }
}

provider "aws" {
  alias  = "team_b"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::${var.team_b_account_id}:role/OrganizationAccountAccessRole"
  }
}

variable "organization_id" {
  description = "The organization's id (o-…): its accounts may send events to the hub's default event bus."
  type        = string
}

variable "team_a_account_id" {
  description = "Account id of the first member (team A's registry)."
  type        = string
}

variable "team_b_account_id" {
  description = "Account id of the second member (team B's registry)."
  type        = string
}

# No default: a constant written here (and in every copy of this example) is one anybody can give. The ExternalId
# is not a secret, but it should be one value per member that others do not know (IAM User Guide, "How to use an
# external ID when granting access to your AWS resources to a third party").
variable "team_a_external_id" {
  description = "The ExternalId team A's role requires of the hub: a random value of your own, e.g. the output of `openssl rand -hex 16` (2 to 1224 characters of letters, digits and +=,.@:/-). Not a secret, but not a value others can guess either: a guard against a confused deputy."
  type        = string
  nullable    = false
}

data "aws_caller_identity" "hub" {
  provider = aws.hub
}

module "hub" {
  source = "../.."
  providers = {
    aws = aws.hub
  }

  hub_account_name = "security"
  member_accounts = [
    { account_id = var.team_a_account_id, name = "team-a", external_id = var.team_a_external_id },
    { account_id = var.team_b_account_id, name = "team-b" },
  ]
  organization_id = var.organization_id

  reporters = {
    sns = { email_subscriptions = ["security@example.com"] }
  }
}

# The member modules take the hub's function roles (known at plan time, and applied after those roles exist).
module "team_a" {
  source = "../../modules/member-account"
  providers = {
    aws = aws.team_a
  }

  hub_account_id = data.aws_caller_identity.hub.account_id
  hub_role_arns  = values(module.hub.function_role_arns)
  external_id    = var.team_a_external_id
}

module "team_b" {
  source = "../../modules/member-account"
  providers = {
    aws = aws.team_b
  }

  hub_account_id = data.aws_caller_identity.hub.account_id
  hub_role_arns  = values(module.hub.function_role_arns)
}

output "config_document" {
  description = "The hub's configuration document: its `accounts` lists the hub and both members."
  value       = module.hub.config_document
}

output "member_role_arns" {
  description = "The read-and-scan role of each member account, as the hub's document names them."
  value = {
    team-a = module.team_a.role_arn
    team-b = module.team_b.role_arn
  }
}

output "hub_role_arns" {
  description = "The hub's function roles, which each member's role trusts."
  value       = sort(values(module.hub.function_role_arns))
}
