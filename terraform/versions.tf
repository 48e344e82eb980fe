terraform {
  # 1.6: `terraform test`; the module itself uses nothing newer (no cross-variable validation).
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.80: tags on aws_lambda_event_source_mapping, logging_config on aws_lambda_function.
      version = ">= 5.80"
    }
  }
}
