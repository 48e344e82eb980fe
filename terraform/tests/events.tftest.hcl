# The EventBridge rules that bring scan results to the report queue, and who may send there.

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
    condition = jsondecode(aws_cloudwatch_event_rule.report["inspector2_scan"].event_pattern) == {
      source        = ["aws.inspector2"]
      "detail-type" = ["Inspector2 Scan"]
      detail        = { "scan-status" = ["INITIAL_SCAN_COMPLETE"] }
    }
    error_message = "Enhanced scans: the initial scan of an image."
  }

  assert {
    condition     = !contains(keys(aws_cloudwatch_event_rule.report), "inspector2_finding")
    error_message = "No Inspector2 Finding rule unless enhanced_finding_events."
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
            "aws:SourceArn" = [
              "arn:aws:events:eu-west-1:123456789012:rule/ecr-scan-reporter-ecr-image-scan",
              "arn:aws:events:eu-west-1:123456789012:rule/ecr-scan-reporter-inspector2-scan",
            ]
          }
        }
      }]
    }
    error_message = "EventBridge may send to the report queue only for the module's scan event rules."
  }

  assert {
    condition     = [for rule in aws_cloudwatch_event_rule.report : rule.name] == ["ecr-scan-reporter-ecr-image-scan", "ecr-scan-reporter-inspector2-scan"]
    error_message = "The rules are named after the prefix."
  }
}

run "enhanced_finding_events_without_failures" {
  command = plan

  variables {
    enhanced_finding_events = true
    notify_on_scan_failure  = false
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.report["ecr_image_scan"].event_pattern).detail == { "scan-status" = ["COMPLETE"] }
    error_message = "Without notify_on_scan_failure only COMPLETE basic scans are routed."
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.report["inspector2_finding"].event_pattern) == {
      source        = ["aws.inspector2"]
      "detail-type" = ["Inspector2 Finding"]
      detail        = { resources = { type = ["AWS_ECR_CONTAINER_IMAGE"] } }
    }
    error_message = "Inspector2 Finding events of ECR images only (not EC2 or Lambda findings)."
  }

  assert {
    condition = jsondecode(aws_sqs_queue_policy.report.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == [
      "arn:aws:events:eu-west-1:123456789012:rule/ecr-scan-reporter-ecr-image-scan",
      "arn:aws:events:eu-west-1:123456789012:rule/ecr-scan-reporter-inspector2-finding",
      "arn:aws:events:eu-west-1:123456789012:rule/ecr-scan-reporter-inspector2-scan",
    ]
    error_message = "The Inspector2 Finding rule may send to the report queue too."
  }

  assert {
    condition     = length(aws_cloudwatch_event_target.report) == 3
    error_message = "Each rule targets the report queue."
  }
}
