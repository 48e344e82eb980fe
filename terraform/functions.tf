# What the three functions share: the bundles in dist/ (built by `pnpm build`, committed) and their environment.

locals {
  bundles = {
    schedule_scans  = "${path.module}/dist/schedule-scans.zip"
    scan_images     = "${path.module}/dist/scan-images.zip"
    report_findings = "${path.module}/dist/report-findings.zip"
  }

  # The namespace of the functions' own EMF metrics; the metrics reporter's namespace when it is enabled, so that
  # all of the tool's metrics land in one place.
  metrics_namespace = try(var.reporters.metrics.namespace, null) != null ? var.reporters.metrics.namespace : "EcrScanReporter"

  common_environment = merge(local.config_environment, {
    POWERTOOLS_LOG_LEVEL         = var.log_level
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
  })
}
