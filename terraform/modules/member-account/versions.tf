terraform {
  # As the hub module (../../versions.tf): 1.7 for the `mock_provider` of the tests that plan this module.
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 7.0"
    }
  }
}
