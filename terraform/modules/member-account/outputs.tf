output "account_id" {
  description = "The member account's id: the hub module's member_accounts[].account_id."
  value       = local.account_id
}

output "role_arn" {
  description = "ARN of the read-and-scan role the hub assumes (created here, or with create_role = false by the instance of another region): the roleArn of this account's entry in the hub's configuration document. Known at plan time."
  value       = local.role_arn

  # Written out from its parts (the hub module writes the same), and available once the role exists.
  depends_on = [aws_iam_role.member, aws_iam_role_policy.member]
}

output "role_name" {
  description = "Name of the read-and-scan role: the hub module's member_role_name."
  value       = var.role_name
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule that forwards this region's scan events to the hub's event bus; null with forward_events = false."
  value       = var.forward_events ? aws_cloudwatch_event_rule.forward[0].arn : null
}
