# One role per function, with only the actions that function calls (README "IAM permissions").
#
# Every statement names its resources: queues, topic, secrets, parameters and log groups by their own ARN, ECR
# actions by the region's repository ARNs. The exceptions are the actions the Service Authorization Reference
# lists with no resource type, which IAM only accepts on "*": ecr:GetRegistryScanningConfiguration, and, when
# their option is on, inspector2:ListFindings, ec2:DescribeNetworkInterfaces / ec2:DescribeSubnets and
# xray:PutTraceSegments / xray:PutTelemetryRecords. No wildcard actions, no iam:PassRole.

locals {
  # Role names are global in IAM; the region keeps two regional instances of the module apart.
  role_names = { for key, name in local.function_names : key => "${name}-${local.region}" }

  lambda_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssumeRole"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  # Lambda creates the function's log streams and writes them with its role. CloudWatch Logs authorizes both actions
  # on the `log-group:<name>:*` form of the ARN (the bare form is for the tagging actions only: CloudWatch Logs
  # User Guide, "CloudWatch Logs resources and operations").
  log_statements = {
    for key, arn in local.log_group_arns : key => {
      Sid      = "WriteOwnLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${arn}:*"
    }
  }

  config_parameter_statement = !local.config_in_parameter ? [] : [{
    Sid      = "ReadConfigParameter"
    Effect   = "Allow"
    Action   = "ssm:GetParameter"
    Resource = local.config_parameter_arn
  }]

  # With a customer managed key: queues, topic, log groups and the config parameter are encrypted with it. All
  # three functions send to a queue under it (schedule-scans to the scan queue and the schedule DLQ, scan-images
  # to its DLQ, report-findings to the report queue, its DLQ and the topic): an SQS or SNS producer needs
  # GenerateDataKey and Decrypt (SQS, "Key management"), which also covers reading.
  kms_statement = var.kms_key_arn == null ? [] : [{
    Sid      = "UseModuleKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
    Resource = var.kms_key_arn
  }]

  # Lambda creates and deletes the functions' network interfaces in the VPC with their roles (Lambda developer
  # guide, "Required IAM permissions"); the two Describe actions have no resource type.
  vpc_statements = !local.in_vpc ? [] : [
    {
      Sid      = "ManageVpcNetworkInterfaces"
      Effect   = "Allow"
      Action   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
      Resource = "${local.arn_prefix.ec2}:*/*"
    },
    {
      Sid      = "DescribeVpcNetworkInterfaces"
      Effect   = "Allow"
      Action   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
      Resource = "*"
    },
  ]

  # Active tracing: the function's role sends the segments (no resource type either).
  tracing_statement = !local.active_tracing ? [] : [{
    Sid      = "WriteTraces"
    Effect   = "Allow"
    Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    Resource = "*"
  }]

  # What every function gets besides its own statements.
  shared_statements = concat(local.config_parameter_statement, local.kms_statement, local.vpc_statements, local.tracing_statement)

  # Secrets the reporters read: Secrets Manager ARNs and SSM parameter names from the variables.
  secret_arns = distinct(compact(concat(
    [try(local.reporters.slack.webhook_url_secret_arn, null), try(local.reporters.github.token_secret_arn, null)],
    flatten([for reporter in local.custom_reporters : reporter.secret_arns]),
  )))
  secret_parameter_names = distinct(compact(concat(
    [try(local.reporters.slack.webhook_url_parameter, null), try(local.reporters.github.token_parameter, null)],
    flatten([for reporter in local.custom_reporters : reporter.parameter_names]),
  )))
  # A secret named by a partial ARN (no 6-character suffix) is matched by name-?????? ("?" is one character).
  secret_resources           = flatten([for arn in local.secret_arns : [arn, "${arn}-??????"]])
  secret_parameter_resources = [for name in local.secret_parameter_names : "${local.arn_prefix.ssm}:parameter/${trimprefix(name, "/")}"]
  secret_kms_via_services = concat(
    length(local.secret_parameter_names) > 0 ? ["ssm.${local.region}.${local.dns_suffix}"] : [],
    length(local.secret_arns) > 0 ? ["secretsmanager.${local.region}.${local.dns_suffix}"] : [],
  )

  # SES checks sending against the identity that authorizes the sender: its domain, the address itself, or a
  # parent domain (the email reporter asks GetEmailIdentity in that order).
  email_from_address = local.reporters.email == null ? null : try(regex("<([^<>]+)>\\s*$", local.reporters.email.from)[0], trimspace(local.reporters.email.from))
  email_from_labels  = local.email_from_address == null ? [] : split(".", split("@", local.email_from_address)[1])
  email_identities = local.email_from_address == null ? [] : concat(
    [join(".", local.email_from_labels), local.email_from_address],
    [for i in range(1, length(local.email_from_labels) - 1) : join(".", slice(local.email_from_labels, i, length(local.email_from_labels)))],
  )
  email_identity_arns = [for identity in local.email_identities : "${local.arn_prefix.ses}:identity/${identity}"]
  email_configuration_set_arns = try(local.reporters.email.configuration_set, null) == null ? [] : [
    "${local.arn_prefix.ses}:configuration-set/${local.reporters.email.configuration_set}"
  ]
  # At cold start the email reporter asks SES whether the account is in the SES sandbox (GetAccount) and, if it
  # is, whether each recipient's address or one of its domains is a verified identity (GetEmailIdentity).
  email_recipient_addresses = local.reporters.email == null ? [] : [
    for mailbox in concat(local.reporters.email.to, coalesce(local.reporters.email.cc, [])) :
    lower(try(regex("<([^<>]+)>\\s*$", mailbox)[0], trimspace(mailbox)))
  ]
  email_recipient_check_arns = distinct(flatten([
    for address in local.email_recipient_addresses : [
      for i in range(0, length(split(".", split("@", address)[1]))) :
      "${local.arn_prefix.ses}:identity/${join(".", slice(split(".", split("@", address)[1]), i, length(split(".", split("@", address)[1]))))}"
      if i < length(split(".", split("@", address)[1])) - 1
    ] if length(split("@", address)) == 2
  ]))
  email_recipient_address_arns = [for address in local.email_recipient_addresses : "${local.arn_prefix.ses}:identity/${address}"]
  # An account in the SES sandbox also authorizes SendEmail against each recipient's (verified) identity.
  email_recipient_identity_arns = local.reporters.email == null ? [] : [
    for identity in var.ses_recipient_identities : "${local.arn_prefix.ses}:identity/${identity}"
  ]

  policies = {
    schedule_scans = {
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid      = "ListRepositories"
            Effect   = "Allow"
            Action   = "ecr:DescribeRepositories"
            Resource = local.ecr_repository_arns
          },
          {
            # The single "*" of the module: this action has no resource type (Service Authorization Reference).
            Sid      = "ReadRegistryScanningConfiguration"
            Effect   = "Allow"
            Action   = "ecr:GetRegistryScanningConfiguration"
            Resource = "*"
          },
          {
            Sid      = "QueueScans"
            Effect   = "Allow"
            Action   = "sqs:SendMessage"
            Resource = local.queue_arns.scan
          },
          {
            # The on-failure destination of asynchronous invocations: Lambda sends the record with this role.
            Sid      = "RecordFailedRuns"
            Effect   = "Allow"
            Action   = "sqs:SendMessage"
            Resource = local.queue_arns.schedule_dlq
          },
          local.log_statements.schedule_scans,
        ],
        local.shared_statements,
      )
    }

    scan_images = {
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid      = "ScanImages"
            Effect   = "Allow"
            Action   = ["ecr:DescribeImages", "ecr:DescribeImageScanFindings", "ecr:StartImageScan"]
            Resource = local.ecr_repository_arns
          },
          {
            # The three actions Lambda's SQS event source mapping needs of the function's role (Lambda Developer
            # Guide, "Execution role permissions"); the functions never change a message's visibility themselves.
            Sid      = "ConsumeScanQueue"
            Effect   = "Allow"
            Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
            Resource = local.queue_arns.scan
          },
          {
            # A malformed message is moved to the dead-letter queue as it is, instead of being redelivered.
            Sid      = "DeadLetterMalformedMessages"
            Effect   = "Allow"
            Action   = "sqs:SendMessage"
            Resource = local.queue_arns.scan_dlq
          },
          local.log_statements.scan_images,
        ],
        local.shared_statements,
      )
    }

    report_findings = {
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid      = "ReadScanFindings"
            Effect   = "Allow"
            Action   = "ecr:DescribeImageScanFindings"
            Resource = local.ecr_repository_arns
          },
        ],
        # Under enhanced scanning DescribeImageScanFindings reads Amazon Inspector's findings, which needs
        # inspector2:ListFindings; that action has no resource type, so it can only be granted on "*".
        var.enhanced_scanning ? [{
          Sid      = "ReadInspectorFindings"
          Effect   = "Allow"
          Action   = "inspector2:ListFindings"
          Resource = "*"
        }] : [],
        [
          {
            Sid      = "ConsumeReportQueue"
            Effect   = "Allow"
            Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
            Resource = local.queue_arns.report
          },
          {
            # Targeted retries go back to the report queue; given-up ones to its DLQ.
            Sid      = "RequeueReports"
            Effect   = "Allow"
            Action   = "sqs:SendMessage"
            Resource = [local.queue_arns.report, local.queue_arns.report_dlq]
          },
          local.log_statements.report_findings,
        ],
        local.shared_statements,
        !local.sns_enabled ? [] : [{
          Sid      = "PublishToTopic"
          Effect   = "Allow"
          Action   = ["sns:Publish", "sns:GetTopicAttributes"]
          Resource = local.sns_topic_arn
        }],
        local.reporters.email == null ? [] : [
          {
            Sid      = "SendEmail"
            Effect   = "Allow"
            Action   = "ses:SendEmail"
            Resource = concat(local.email_identity_arns, local.email_recipient_identity_arns, local.email_configuration_set_arns)
          },
          {
            Sid      = "CheckSenderIdentity"
            Effect   = "Allow"
            Action   = "ses:GetEmailIdentity"
            Resource = distinct(concat(local.email_identity_arns, local.email_recipient_address_arns, local.email_recipient_check_arns))
          },
          {
            # GetAccount has no resource type: "*" is the only resource IAM accepts for it.
            Sid      = "CheckSesSandbox"
            Effect   = "Allow"
            Action   = "ses:GetAccount"
            Resource = ["*"]
          },
        ],
        length(local.secret_arns) == 0 ? [] : [{
          Sid      = "ReadReporterSecrets"
          Effect   = "Allow"
          Action   = "secretsmanager:GetSecretValue"
          Resource = local.secret_resources
        }],
        length(local.secret_parameter_names) == 0 ? [] : [{
          Sid      = "ReadReporterParameters"
          Effect   = "Allow"
          Action   = "ssm:GetParameter"
          Resource = local.secret_parameter_resources
        }],
        # SecureString parameters and secrets under any key of the account (the AWS managed aws/ssm and
        # aws/secretsmanager ones included), and only through those services.
        length(local.secret_kms_via_services) == 0 ? [] : [{
          Sid       = "DecryptReporterSecrets"
          Effect    = "Allow"
          Action    = "kms:Decrypt"
          Resource  = "${local.arn_prefix.kms}:key/*"
          Condition = { StringEquals = { "kms:ViaService" = local.secret_kms_via_services } }
        }],
        # Keys the module does not manage: secrets or parameters under another account's key, a given topic's key.
        length(var.kms_key_arns) == 0 ? [] : [{
          Sid      = "UseReporterKeys"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = var.kms_key_arns
        }],
      )
    }
  }
}

resource "aws_iam_role" "schedule_scans" {
  name                 = local.role_names.schedule_scans
  path                 = var.role_path
  description          = "ecr-scan-reporter schedule-scans in ${local.region}"
  assume_role_policy   = local.lambda_assume_role_policy
  permissions_boundary = var.role_permissions_boundary

  tags = local.tags
}

resource "aws_iam_role_policy" "schedule_scans" {
  name   = "schedule-scans"
  role   = aws_iam_role.schedule_scans.id
  policy = jsonencode(local.policies.schedule_scans)
}

resource "aws_iam_role" "scan_images" {
  name                 = local.role_names.scan_images
  path                 = var.role_path
  description          = "ecr-scan-reporter scan-images in ${local.region}"
  assume_role_policy   = local.lambda_assume_role_policy
  permissions_boundary = var.role_permissions_boundary

  tags = local.tags
}

resource "aws_iam_role_policy" "scan_images" {
  name   = "scan-images"
  role   = aws_iam_role.scan_images.id
  policy = jsonencode(local.policies.scan_images)
}

resource "aws_iam_role" "report_findings" {
  name                 = local.role_names.report_findings
  path                 = var.role_path
  description          = "ecr-scan-reporter report-findings in ${local.region}"
  assume_role_policy   = local.lambda_assume_role_policy
  permissions_boundary = var.role_permissions_boundary

  tags = local.tags
}

resource "aws_iam_role_policy" "report_findings" {
  name   = "report-findings"
  role   = aws_iam_role.report_findings.id
  policy = jsonencode(local.policies.report_findings)
}
