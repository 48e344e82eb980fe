# The SNS reporter's topic: created here (<name_prefix>-findings) unless reporters.sns.topic_arn names one.

resource "aws_sns_topic" "findings" {
  count = local.sns_create_topic ? 1 : 0

  name              = local.sns_topic_name
  kms_master_key_id = var.kms_key_arn

  tags = local.tags
}

# E-mail subscriptions stay "pending confirmation" until each recipient follows the link AWS sends them.
resource "aws_sns_topic_subscription" "email" {
  for_each = local.sns_enabled ? toset(local.reporters.sns.email_subscriptions) : toset([])

  topic_arn = local.sns_create_topic ? aws_sns_topic.findings[0].arn : local.reporters.sns.topic_arn
  protocol  = "email"
  endpoint  = each.value
}
