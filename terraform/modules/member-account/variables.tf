# The inputs of a member account (docs/architecture.md, "Multi-account"). Each is checked here on its own; what
# needs two inputs or the account (hub_role_arns in hub_account_id) is a precondition in main.tf.

variable "hub_account_id" {
  description = "The AWS account id of the hub deployment (the account the ecr-scan-reporter module runs in), 12 digits."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]{12}$", var.hub_account_id))
    error_message = "hub_account_id must be the hub's 12-digit AWS account id, as a string in quotes, e.g. \"123456789012\"."
  }
}

variable "hub_role_arns" {
  description = "The roles of the hub's functions that may assume the read-and-scan role: the values of the hub module's output function_role_arns (schedule-scans, scan-images, report-findings and, with digests, send-digests)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.hub_role_arns) > 0 && alltrue([for arn in var.hub_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/([\\x21-\\x7E]{0,510}/)?[\\w+=,.@-]{1,64}$", arn))])
    error_message = "hub_role_arns must list at least one IAM role ARN like arn:aws:iam::123456789012:role/ecr-scan-reporter-scan-images-eu-west-1: the values of the hub module's output function_role_arns."
  }
}

variable "external_id" {
  description = "When set, the read-and-scan role trusts the hub's roles only with this sts:ExternalId (the member_accounts[].external_id the hub module is given for this account). null: no ExternalId."
  type        = string
  default     = null

  # STS AssumeRole: ExternalId is 2 to 1224 characters of [\w+=,.@:/-] (AWS STS API Reference, AssumeRole). RE2
  # repeats at most 1000 times, so the length is checked apart.
  validation {
    condition     = var.external_id == null ? true : (length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[\\w+=,.@:/-]+$", var.external_id)))
    error_message = "external_id must be 2 to 1224 characters of letters, digits and +=,.@:/- (STS AssumeRole's ExternalId), or null."
  }
}

variable "role_name" {
  description = "Name of the read-and-scan role; the hub module's member_role_name must be the same. The forwarding role is named <role_name>-forward-<region>."
  type        = string
  default     = "ecr-scan-reporter-member"
  nullable    = false

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,40}$", var.role_name))
    error_message = "role_name must have 1 to 40 letters, digits or +=,.@_- (the forwarding role appends -forward-<region> and must stay within IAM's 64 characters), e.g. \"ecr-scan-reporter-member\"."
  }
}

variable "role_path" {
  description = "Path of the roles this module creates; the hub module's role_path must be the same (it writes the member role's ARN with its own path)."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = can(regex("^/([\\x21-\\x7E]{0,510}/)?$", var.role_path))
    error_message = "role_path of the member roles must start and end with a slash, e.g. \"/\" or \"/service/\" (IAM: printable ASCII, up to 512 characters)."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of the managed policy set as the permissions boundary of the roles this module creates. null: none."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary of the member roles must be a managed policy ARN like arn:aws:iam::123456789012:policy/boundary, or null."
  }
}

variable "create_role" {
  description = "Create the read-and-scan role (IAM is global: one instance per account creates it). false in the instances of the account's other regions, which only forward their events."
  type        = bool
  default     = true
  nullable    = false
}

variable "enhanced_scanning" {
  description = "The account's registry uses enhanced scanning (Amazon Inspector): the role may inspector2:ListFindings (no resource type: granted on \"*\"), and Inspector2 Scan events of ECR images (and, see enhanced_finding_events, Inspector2 Finding events) are forwarded. Set it as the hub module's enhanced_scanning."
  type        = bool
  default     = false
  nullable    = false
}

variable "enhanced_finding_events" {
  description = "With enhanced_scanning, also forward Inspector2 Finding events of ECR images (one per finding created, updated or closed), which the hub reports as Inspector rescans the images. null (the default): true with enhanced_scanning. true without enhanced_scanning fails the plan. Set it as the hub module's enhanced_finding_events."
  type        = bool
  default     = null
}

variable "forward_events" {
  description = "Forward this region's scan events to the hub's event bus (an EventBridge rule and the role it sends with). false: the hub only learns of this account's scans by its own schedule, and reports nothing when they complete."
  type        = bool
  default     = true
  nullable    = false
}

variable "hub_event_bus_arn" {
  description = "The event bus the events are forwarded to. null: the hub account's default bus in this region (arn:<partition>:events:<region>:<hub_account_id>:event-bus/default), where the hub module's rules listen."
  type        = string
  default     = null

  validation {
    condition     = var.hub_event_bus_arn == null ? true : can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._/-]{1,256}$", var.hub_event_bus_arn))
    error_message = "hub_event_bus_arn must be an event bus ARN like arn:aws:events:eu-west-1:123456789012:event-bus/default, or null for the hub's default bus in this region."
  }
}

variable "notify_on_scan_failure" {
  description = "Forward FAILED basic scans too (set it as the hub module's notify_on_scan_failure)."
  type        = bool
  default     = true
  nullable    = false
}

variable "ledger_enabled" {
  description = "Forward ECR's image deletions (ECR Image Action DELETE), from which the hub's findings ledger forgets images (set it as the hub module's ledger_enabled)."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
  nullable    = false
}
