# Terraform CLI configuration for this repository's checks (scripts/terraform-check.mjs, the config test).
# The scripts point TF_CLI_CONFIG_FILE here only when /opt/tf-plugins exists: the hashicorp/aws provider is then
# installed from that local filesystem mirror and nothing is downloaded. Elsewhere Terraform's normal registry
# installation applies and this file is not used.
provider_installation {
  filesystem_mirror {
    path    = "/opt/tf-plugins"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
