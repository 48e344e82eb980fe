# What the four functions share: the bundles in dist/ (built by `pnpm build`, committed), their environment, and
# the optional VPC, tracing and log encryption settings.

locals {
  bundles = {
    schedule_scans  = "${path.module}/dist/schedule-scans.zip"
    scan_images     = "${path.module}/dist/scan-images.zip"
    report_findings = "${path.module}/dist/report-findings.zip"
    send_digests    = "${path.module}/dist/send-digests.zip"
  }

  # The namespace of the functions' own EMF metrics; the metrics reporter's namespace when it is enabled, so that
  # all of the tool's metrics land in one place.
  metrics_namespace = try(local.reporters.metrics.namespace, null) != null ? local.reporters.metrics.namespace : "EcrScanReporter"

  common_environment = merge(local.config_environment, {
    POWERTOOLS_LOG_LEVEL         = var.log_level
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
  })

  # A list of zero or one element, for the functions' dynamic vpc_config and tracing_config blocks.
  in_vpc         = length(var.vpc_subnet_ids) > 0
  vpc_configs    = local.in_vpc ? [{ subnet_ids = var.vpc_subnet_ids, security_group_ids = var.vpc_security_group_ids }] : []
  tracing_modes  = var.tracing_mode == null ? [] : [var.tracing_mode]
  active_tracing = var.tracing_mode == "Active"

  log_kms_key_arn = var.log_kms_key_arn != null ? var.log_kms_key_arn : var.kms_key_arn
}
