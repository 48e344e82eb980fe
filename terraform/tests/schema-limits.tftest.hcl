# Limits the plan leaves to the functions' schemas (see variables.tf): values out of them plan, and reach the
# document unchanged. test/terraform-config.test.ts reads these runs' documents and shows that the schemas refuse
# them, as the functions do at cold start (and accept the regexes only JavaScript reads).

mock_provider "aws" {
  source = "./tests/mocks"
}

# The reporters' options, which report-findings checks with each reporter's schema when it loads them.
run "reporter_options_left_to_their_schemas" {
  command = plan

  variables {
    reporters = {
      sns     = { subject_prefix = "[scans] ✓", max_findings = 10001 }
      slack   = { webhook_url_parameter = "/slack", channel_label = "", max_findings = 41 }
      github  = { owner = "acme corp", repo = "security", token_parameter = "/gh", labels = ["a,b"] }
      email   = { from = "scans@acme.example", to = [] }
      metrics = { namespace = "Acme:Ecr" }
    }
  }

  assert {
    condition     = [for r in jsondecode(output.config_document).reporters : r.use] == ["sns", "slack", "github", "email", "metrics"]
    error_message = "Reporter options out of their schemas' limits still plan."
  }
}

# The settings the core schema checks, which every function refuses at cold start.
run "settings_left_to_the_config_schema" {
  command = plan

  variables {
    repository_include = ""
    scan_expiry        = "7 days"
    only_pulled_within = "0m"
    max_scans_per_run  = 0
    thresholds         = { CRITICAL = -1, HIGH = 1.5 }
    ignore             = [{ id = "", until = "2027-02-30", reason = "r" }]
  }

  assert {
    condition     = jsondecode(output.config_document).scan == { expiry = "7 days", onlyPulledWithin = "0m", maxScansPerRun = 0 }
    error_message = "Settings out of the core schema's limits still plan."
  }
}

# Regexes JavaScript accepts but RE2 cannot check (lookaround, backreferences) plan: the functions check them
# (regexes.tf refuses only what neither reads, or what RE2 reads differently).
run "javascript_only_regex_is_accepted" {
  command = plan

  variables {
    repository_include = "^(?!sandbox-)team-"
    repository_exclude = "^(\\w+)-\\1$"
    ignore             = [{ id = "CVE-2023-4863", repositories = "^(?<=x)legacy", until = "2028-02-29", reason = "leap day" }]
  }

  assert {
    condition     = jsondecode(output.config_document).repositories == { include = "^(?!sandbox-)team-", exclude = "^(\\w+)-\\1$" } && jsondecode(output.config_document).ignore[0].repositories == "^(?<=x)legacy"
    error_message = "Lookaround and backreferences reach the document unchanged."
  }
}
