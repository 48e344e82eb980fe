# What organisations set on every function and role: IAM path and permissions boundary, a VPC, X-Ray tracing.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "organisation_roles" {
  command = plan

  variables {
    role_path                 = "/service/ecr-scan-reporter/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/workload-boundary"
  }

  assert {
    condition = alltrue([for role in [aws_iam_role.schedule_scans, aws_iam_role.scan_images, aws_iam_role.report_findings, aws_iam_role.send_digests[0]] :
      role.path == var.role_path && role.permissions_boundary == var.role_permissions_boundary
    ])
    error_message = "Every role gets the path and the permissions boundary."
  }
}

run "no_vpc_or_tracing_by_default" {
  command = plan

  assert {
    condition = alltrue([for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images, aws_lambda_function.report_findings, aws_lambda_function.send_digests[0]] :
      length(fn.vpc_config) == 0 && length(fn.tracing_config) == 0
    ])
    error_message = "By default the functions are in no VPC and keep Lambda's default tracing."
  }

  assert {
    condition = length(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : s if anytrue([for a in flatten([s.Action]) : startswith(a, "ec2:") || startswith(a, "xray:")])]
    ])) == 0
    error_message = "Without a VPC or active tracing, no EC2 or X-Ray permission."
  }
}

run "functions_in_a_vpc" {
  command = plan

  variables {
    vpc_subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
    vpc_security_group_ids = ["sg-0123456789abcdef0"]
  }

  assert {
    condition = alltrue([for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images, aws_lambda_function.report_findings, aws_lambda_function.send_digests[0]] :
      fn.vpc_config[0].subnet_ids == toset(var.vpc_subnet_ids) && fn.vpc_config[0].security_group_ids == toset(var.vpc_security_group_ids)
    ])
    error_message = "Every function is attached to the subnets, with the security groups."
  }

  # The permissions Lambda needs to manage the functions' network interfaces with their roles.
  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      length(setsubtract(
        ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
        flatten([for s in jsondecode(policy).Statement : s.Action if s.Effect == "Allow"]),
      )) == 0
    ])
    error_message = "Every role may manage the VPC network interfaces Lambda creates for its function."
  }

  assert {
    condition = alltrue(flatten([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      [for s in jsondecode(policy).Statement : [for r in flatten([s.Resource]) :
        r == "*" ? alltrue([for a in flatten([s.Action]) : contains(["ecr:GetRegistryScanningConfiguration", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], a)]) : startswith(r, "arn:aws:") && strcontains(r, ":eu-west-1:123456789012:")
      ] if anytrue([for a in flatten([s.Action]) : startswith(a, "ec2:")])]
    ]))
    error_message = "Only the Describe actions, which have no resource type, are granted on \"*\"; the others on this account's and region's EC2 resources."
  }
}

run "active_tracing" {
  command = plan

  variables {
    tracing_mode = "Active"
  }

  assert {
    condition = alltrue([for fn in [aws_lambda_function.schedule_scans, aws_lambda_function.scan_images, aws_lambda_function.report_findings, aws_lambda_function.send_digests[0]] :
      fn.tracing_config[0].mode == "Active"
    ])
    error_message = "Every function traces its invocations."
  }

  assert {
    condition = alltrue([for policy in [aws_iam_role_policy.schedule_scans.policy, aws_iam_role_policy.scan_images.policy, aws_iam_role_policy.report_findings.policy, aws_iam_role_policy.send_digests[0].policy] :
      length(setsubtract(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], flatten([for s in jsondecode(policy).Statement : s.Action if s.Effect == "Allow"]))) == 0
    ])
    error_message = "Every role may send its traces to X-Ray (actions without a resource type: \"*\")."
  }
}

run "pass_through_tracing" {
  command = plan

  variables {
    tracing_mode = "PassThrough"
  }

  assert {
    condition     = aws_lambda_function.scan_images.tracing_config[0].mode == "PassThrough"
    error_message = "PassThrough is passed to the functions."
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.scan_images.policy, "xray:")
    error_message = "PassThrough sends no segment: no X-Ray permission."
  }
}
