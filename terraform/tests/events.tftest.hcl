# The EventBridge rules that bring scan results to the report queue, and who may send there. Which events each
# rule's pattern lets through is checked with real sample events by test/terraform-event-patterns.test.ts, from
# the plans of the runs "default_rules", "enhanced_scanning_rules" and "enhanced_finding_events_without_failures".

mock_provider "aws" {
  source = "./tests/mocks"
}

run "default_rules" {
  command = plan

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.report["ecr_image_scan"].event_pattern) == {
      source        = ["aws.ecr"]
      "detail-type" = ["ECR Image Scan"]
      detail        = { "scan-status" = ["COMPLETE", "FAILED"] }
    }
    error_message = "Basic scans: COMPLETE and, with notify_on_scan_failure (default), FAILED."
  }

  assert {
    condition     = keys(aws_cloudwatch_event_rule.report) == ["ecr_image_scan"]
    error_message = "Without enhanced_scanning, no Inspector rule: only ECR Image Scan events are routed."
  }

  assert {
    condition = jsondecode(aws_sqs_queue_policy.report.policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "AllowScanEventRules"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-report"
        Condition = {
          ArnEquals = {
            "aws:SourceArn" = ["arn:aws:events:eu-west-1:123456789012:rule/ecr-scan-reporter-ecr-image-scan"]
          }
        }
      }]
    }
    error_message = "EventBridge may send to the report queue only for the module's scan event rules."
  }

  assert {
    condition     = [for rule in aws_cloudwatch_event_rule.report : rule.name] == ["ecr-scan-reporter-ecr-image-scan"]
    error_message = "The rules are named after the prefix."
  }
}

run "enhanced_scanning_rules" {
  command = plan

  variables {
    enhanced_scanning = true
  }

  assert {
    condition     = keys(aws_cloudwatch_event_rule.report) == ["ecr_image_scan", "inspector2_finding", "inspector2_scan"]
    error_message = "With enhanced_scanning, Inspector2 Scan and (by default) Inspector2 Finding events are routed too."
  }

  assert {
    condition = jsondecode(aws_sqs_queue_policy.report.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == [
      for rule in aws_cloudwatch_event_rule.report : "arn:aws:events:eu-west-1:123456789012:rule/${rule.name}"
    ]
    error_message = "Each of the rules, and only they, may send to the report queue."
  }

  assert {
    condition     = length(aws_cloudwatch_event_target.report) == 3
    error_message = "Each rule targets the report queue."
  }
}

# ECR ARNs name their partition: in China or GovCloud the Inspector2 Scan rule must still let ECR images through.
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

  assert {
    condition = alltrue([for matcher in jsondecode(aws_cloudwatch_event_rule.report["inspector2_scan"].event_pattern).resources :
      startswith(matcher.prefix, "arn:aws-cn:ecr:")
    ])
    error_message = "The Inspector2 Scan rule matches the ECR ARNs of the provider's partition."
  }
}

run "enhanced_finding_events_without_failures" {
  command = plan

  variables {
    enhanced_scanning       = true
    enhanced_finding_events = true
    notify_on_scan_failure  = false
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.report["ecr_image_scan"].event_pattern).detail == { "scan-status" = ["COMPLETE"] }
    error_message = "Without notify_on_scan_failure only COMPLETE basic scans are routed."
  }

  assert {
    condition     = contains(keys(aws_cloudwatch_event_rule.report), "inspector2_finding")
    error_message = "enhanced_finding_events = true keeps the Inspector2 Finding rule."
  }
}

run "finding_events_turned_off" {
  command = plan

  variables {
    enhanced_scanning       = true
    enhanced_finding_events = false
  }

  assert {
    condition     = keys(aws_cloudwatch_event_rule.report) == ["ecr_image_scan", "inspector2_scan"]
    error_message = "enhanced_finding_events = false leaves only the initial Inspector2 Scan events."
  }
}

# Finding events without enhanced scanning would be routed to a function not allowed to read their findings.
run "finding_events_need_enhanced_scanning" {
  command = plan

  variables {
    enhanced_finding_events = true
  }

  expect_failures = [aws_cloudwatch_event_rule.report]
}
