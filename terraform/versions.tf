terraform {
  # 1.7: `mock_provider` and `override_*` in `terraform test`, which the module's tests use.
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.80: tags on aws_lambda_event_source_mapping. < 7.0: tested with 5.x (the CI mirror holds 5.100) and
      # written for 6.x too: no attribute 6.0 deprecates or removes is used (the region comes from
      # data.aws_region's `id`, not its `name`).
      version = ">= 5.80, < 7.0"
    }
  }
}
