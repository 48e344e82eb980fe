# The EventBridge rules that bring scan results to the report queue, and who may send there. Which events each
# rule's pattern lets through is checked with AWS's sample events by test/terraform-event-patterns.test.ts, from
# the plans of every run of this file: here, only what the patterns do not say.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "default_rules" {
  command = plan

  # EventBridge delivers to a queue only what its policy lets the rule's service principal send; any other sender is
  # refused. So the policy must name each rule of the module, and no other source.
  assert {
    condition = alltrue([for statement in jsondecode(aws_sqs_queue_policy.report.policy).Statement :
      statement.Effect == "Allow" && statement.Principal == { Service = "events.amazonaws.com" } && statement.Action == "sqs:SendMessage"
      && statement.Resource == "arn:aws:sqs:eu-west-1:123456789012:${aws_sqs_queue.report.name}"
      && toset(flatten([statement.Condition.ArnEquals["aws:SourceArn"]])) == toset([for rule in aws_cloudwatch_event_rule.report : "arn:aws:events:eu-west-1:123456789012:rule/${rule.name}"])
    ])
    error_message = "EventBridge may send to the report queue for the module's scan event rules, and only for them."
  }
}

run "enhanced_scanning_rules" {
  command = plan

  variables {
    enhanced_scanning = true
  }

  assert {
    condition = alltrue([for statement in jsondecode(aws_sqs_queue_policy.report.policy).Statement :
      toset(flatten([statement.Condition.ArnEquals["aws:SourceArn"]])) == toset([for rule in aws_cloudwatch_event_rule.report : "arn:aws:events:eu-west-1:123456789012:rule/${rule.name}"])
    ])
    error_message = "Each of the rules, and only they, may send to the report queue: the Inspector rules too (failures.tftest.hcl checks the DLQ's policy)."
  }

  assert {
    condition     = length(aws_cloudwatch_event_target.report) == length(aws_cloudwatch_event_rule.report)
    error_message = "Each rule targets the report queue."
  }
}

# ECR ARNs name their partition: in China or GovCloud the Inspector2 Scan rule must still let ECR images through
# (the TypeScript test runs the sample events, their ARNs in this partition, through this plan's rules).
run "inspector_scan_rule_follows_the_partition" {
  command = plan

  variables {
    enhanced_scanning = true
  }

  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-cn", id = "aws-cn", dns_suffix = "amazonaws.com.cn" }
  }

  override_data {
    target = data.aws_region.current
    values = { id = "cn-north-1" }
  }
}

run "enhanced_finding_events_without_failures" {
  command = plan

  variables {
    enhanced_scanning       = true
    enhanced_finding_events = true
    notify_on_scan_failure  = false
  }
}

run "finding_events_turned_off" {
  command = plan

  variables {
    enhanced_scanning       = true
    enhanced_finding_events = false
  }
}

# Without the findings ledger there is nothing for an image deletion to change: ECR's deletion events stay away.
run "ledger_off_rules" {
  command = plan

  variables {
    ledger_enabled = false
  }
}
