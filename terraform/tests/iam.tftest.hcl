# The functions' roles: properties every rendering must have.

mock_provider "aws" {
  source = "./tests/mocks"
}

# What each statement grants, and that nothing else is granted, is proved on the sandbox: the local deployment
# runs the functions with the policies this module renders (terraform/tests/local-deployment.tftest.hcl, rendered
# by scripts/render-iam.ts) and test/iam.e2e.test.ts fails when a call they make is denied or when any statement,
# action or resource could be removed without denying one. What is checked here holds of every plan.
run "default_policies" {
  command = plan

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : s.Effect == "Allow" && can(regex("^[A-Za-z0-9]+$", s.Sid))]
    ]))
    error_message = "Every statement allows, and has a Sid (the proof on the sandbox names statements by it)."
  }

  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      length(distinct([for s in jsondecode(policy).Statement : s.Sid])) == length(jsondecode(policy).Statement)
    ])
    error_message = "No two statements of a policy share a Sid."
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
    error_message = "The only statement on \"*\" is ecr:GetRegistryScanningConfiguration, which has no resource type."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : [for r in flatten([s.Resource]) : r == "*" || can(regex("^arn:aws:[a-z0-9-]+:eu-west-1:123456789012:[^*]", r))]]
    ]))
    error_message = "Every other resource is an ARN of this account and region."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : [for r in flatten([s.Resource]) : startswith(r, "arn:aws:ecr:") ? r == "arn:aws:ecr:eu-west-1:123456789012:repository/*" : true]]
    ]))
    error_message = "ECR actions are granted on the region's repositories."
  }

  assert {
    condition = alltrue(flatten([for role in [aws_iam_role.schedule_scans, aws_iam_role.scan_images, aws_iam_role.report_findings, aws_iam_role.send_digests[0]] :
      [for s in jsondecode(role.assume_role_policy).Statement : s.Effect == "Allow" && s.Principal == { Service = "lambda.amazonaws.com" } && s.Action == "sts:AssumeRole" && !can(s.Condition)]
    ]))
    error_message = "Only Lambda may assume the roles."
  }

  assert {
    condition     = [aws_iam_role.schedule_scans.name, aws_iam_role.scan_images.name, aws_iam_role.report_findings.name, aws_iam_role.send_digests[0].name] == ["ecr-scan-reporter-schedule-scans-eu-west-1", "ecr-scan-reporter-scan-images-eu-west-1", "ecr-scan-reporter-report-findings-eu-west-1", "ecr-scan-reporter-send-digests-eu-west-1"]
    error_message = "Role names carry the region, so regional instances do not collide in IAM."
  }
}

# That every function needs the module's key (it sends to queues under it) is proved on the sandbox
# (test/iam.e2e.test.ts, all_options); here, that it is the only key they get.
run "kms_key_policies" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : alltrue([for r in flatten([s.Resource]) : r == var.kms_key_arn]) if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])]
    ]))
    error_message = "Without secrets, the key given is the only one the functions may use."
  }
}

# Keys the module does not manage (a secret encrypted in another account, a given topic's key): report-findings and
# send-digests, which run the reporters (read the secrets and publish), may use them; the other functions may not.
run "reporter_keys" {
  command = plan

  variables {
    kms_key_arns = ["arn:aws:kms:eu-west-1:210987654321:key/abcd1234-ab12-cd34-ef56-abcdef123456", "arn:aws:kms:eu-west-1:123456789012:key/5678abcd-12ab-34cd-56ef-1234567890ab"]
    reporters = {
      sns   = { topic_arn = "arn:aws:sns:eu-west-1:123456789012:security-alerts" }
      slack = { webhook_url_secret_arn = "arn:aws:secretsmanager:eu-west-1:210987654321:secret:slack-AbCdEf" }
    }
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] : [for key in var.kms_key_arns :
      anytrue([for s in jsondecode(policy).Statement :
        s.Effect == "Allow" && contains(flatten([s.Resource]), key) && length(setsubtract(["kms:GenerateDataKey", "kms:Decrypt"], flatten([s.Action]))) == 0 && !can(s.Condition)
      ])
    ]]))
    error_message = "report-findings and send-digests may decrypt secrets and publish to a topic under each key of kms_key_arns."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy] :
      [for s in jsondecode(policy).Statement : [for key in var.kms_key_arns : !contains(flatten([s.Resource]), key)]]
    ]))
    error_message = "Only the functions that run the reporters get their keys."
  }
}

run "second_region_does_not_collide" {
  command = plan

  # Only the id: the region must come from it, since provider 6 deprecates name (the mock's name stays eu-west-1).
  override_data {
    target = data.aws_region.current
    values = { id = "us-east-1" }
  }

  assert {
    condition     = aws_iam_role.scan_images.name == "ecr-scan-reporter-scan-images-us-east-1"
    error_message = "Another region gives other role names."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.scan_images.policy).Statement : s.Resource if s.Sid == "ScanImages"]) == "arn:aws:ecr:us-east-1:123456789012:repository/*"
    error_message = "ECR actions are scoped to the instance's own region."
  }
}

run "enhanced_scanning_policy" {
  command = plan

  variables {
    enhanced_scanning = true
  }

  assert {
    condition = flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : flatten([s.Action]) if contains(flatten([s.Resource]), "*")]
    ]) == ["ecr:GetRegistryScanningConfiguration", "inspector2:ListFindings"]
    error_message = "With enhanced_scanning, report-findings may also inspector2:ListFindings (no resource type: \"*\"), and nothing else is added on \"*\"."
  }
}

# In the SES sandbox, SendEmail is authorized against the recipients' verified identities too.
run "ses_sandbox_recipients" {
  command = plan

  variables {
    reporters                = { email = { from = "scans@acme.example", to = ["sec@acme.example", "ops@partner.example"] } }
    ses_recipient_identities = ["sec@acme.example", "partner.example"]
  }

  assert {
    condition = length(setsubtract(
      ["arn:aws:ses:eu-west-1:123456789012:identity/sec@acme.example", "arn:aws:ses:eu-west-1:123456789012:identity/partner.example"],
      one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s.Resource if s.Action == "ses:SendEmail"]),
    )) == 0
    error_message = "report-findings may send to the recipients' identities given."
  }
}

# A custom reporter's grant is derived from the secret references in its options, at any depth (core's
# secretRefSchema: { secretArn[, jsonKey] } or { parameter }), with nothing to list beside them: exactly those
# secrets and parameters, each once, and not what only looks like a reference (an object with other keys too, a
# string holding such text).
run "custom_reporter_secrets_from_options" {
  command = plan

  variables {
    reporters = { sns = { enabled = false } }
    custom_reporters = [
      {
        package   = "@acme/ecr-reporter-teams"
        layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:1"
        options   = { webhookUrl = { secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-webhook" }, title = "ECR" }
      },
      {
        package   = "@acme/ecr-reporter-pager"
        layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:1"
        options = {
          routes = [
            { repositories = "^team-a/", routingKey = { secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pager-keys-AbCdEf", jsonKey = "team-a" } },
            { repositories = "^team-b/", routingKey = { parameter = "/acme/pager/team-b" } },
          ]
          fallback  = { auth = { token = { parameter = "acme-pager-token" } } }
          lookalike = { parameter = "/acme/not-a-reference", label = "an option of the reporter's own" }
          note      = "{\"parameter\":\"/acme/only-text\"}"
          retries   = 3
        }
      },
      {
        package   = "@acme/ecr-reporter-jira"
        layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:1"
        options   = { token = { secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-webhook" } }
      },
    ]
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s if s.Sid == "ReadReporterSecrets"]) == {
      Sid    = "ReadReporterSecrets"
      Effect = "Allow"
      Action = "secretsmanager:GetSecretValue"
      Resource = [
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-webhook",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-webhook-??????",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pager-keys-AbCdEf",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pager-keys-AbCdEf-??????",
      ]
    }
    error_message = "report-findings may read exactly the secrets the options reference (a nested one with its jsonKey too), each once, by ARN and by the ARN a partial one stands for."
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s if s.Sid == "ReadReporterParameters"]) == {
      Sid    = "ReadReporterParameters"
      Effect = "Allow"
      Action = "ssm:GetParameter"
      Resource = [
        "arn:aws:ssm:eu-west-1:123456789012:parameter/acme-pager-token",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/acme/pager/team-b",
      ]
    }
    error_message = "report-findings may read exactly the parameters the options reference, three objects deep or in a list; not an object that has other keys too, nor a string that holds a reference's text."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s.Condition if s.Sid == "DecryptReporterSecrets"]) == { StringEquals = { "kms:ViaService" = ["ssm.eu-west-1.amazonaws.com", "secretsmanager.eu-west-1.amazonaws.com"] } }
    error_message = "The derived secrets are decrypted as the built-in reporters' are: through SSM and Secrets Manager only."
  }

  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.send_digests[0].policy).Statement : s if contains(["ReadReporterSecrets", "ReadReporterParameters", "DecryptReporterSecrets"], s.Sid)]
    == [for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s if contains(["ReadReporterSecrets", "ReadReporterParameters", "DecryptReporterSecrets"], s.Sid)])
    error_message = "send-digests, which runs the same reporters, gets the same grant."
  }

  assert {
    condition     = [for r in jsondecode(output.config_document).reporters : r.options] == [for r in var.custom_reporters : r.options]
    error_message = "The options reach the reporters as written: deriving the grant changes nothing in them."
  }
}

# Without a reference in its options, a custom reporter is granted no secret at all.
run "custom_reporter_without_secrets" {
  command = plan

  variables {
    reporters        = { sns = { enabled = false } }
    custom_reporters = [{ package = "@acme/ecr-reporter-log", layer_arn = "arn:aws:lambda:eu-west-1:123456789012:layer:acme-reporters:1", options = { level = "info", parameter = "/acme/log-group-name", secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:not-a-reference" } }]
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.report_findings.policy).Statement : s if contains(["ReadReporterSecrets", "ReadReporterParameters", "DecryptReporterSecrets"], s.Sid)]) == 0
    error_message = "No reference, no grant: options that have a parameter or a secretArn among other keys are the reporter's own, not a reference."
  }
}
