# Threat intel and escalations in the configuration document: the inputs intel and escalate (variables.tf) become
# the document's intel and escalate (config.tf). test/terraform-config.test.ts reads these runs' documents and parses
# them with the core schema, which fills in what the module leaves out. The values the plan refuses are in
# validation.tftest.hcl.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Neither input set: the product's own sources (left out, so the schema's defaults apply) and the escalations the
# schema would apply, written in full.
run "intel_and_escalate_by_default" {
  command = plan

  assert {
    condition     = jsondecode(output.config_document).intel == {}
    error_message = "Without intel settings the document names no source: the functions' defaults (CISA's KEV feed, FIRST's EPSS API) apply."
  }

  assert {
    condition     = jsondecode(output.config_document).escalate == { kev = true, exploitAvailable = false, epssAbove = null }
    error_message = "Without escalate settings the document says KEV escalates, an available exploit does not and EPSS never does."
  }
}

# A source turned off is written as null, the schema's "off", even when a URL is given with it (the switch wins).
run "intel_sources_off" {
  command = plan

  variables {
    intel = {
      kev_enabled  = false
      epss_enabled = false
      epss_url     = "https://mirror.acme.example/epss"
    }
  }

  assert {
    condition     = strcontains(output.config_document, "\"intel\":{\"epssUrl\":null,\"kevUrl\":null}")
    error_message = "Each source turned off is in the document as null, not left out (which would turn it on)."
  }
}

# A URL given is written as it is; the other source, off, is null; every escalation is carried.
run "kev_mirror_epss_off_every_escalation" {
  command = plan

  variables {
    intel    = { kev_url = "https://mirror.acme.example/kev/known_exploited_vulnerabilities.json", epss_enabled = false }
    escalate = { kev = false, exploit_available = true, epss_above = 0.1 }
  }

  assert {
    condition     = jsondecode(output.config_document).intel == { kevUrl = "https://mirror.acme.example/kev/known_exploited_vulnerabilities.json", epssUrl = null }
    error_message = "The KEV mirror is in the document, and EPSS is off."
  }

  assert {
    condition     = jsondecode(output.config_document).escalate == { kev = false, exploitAvailable = true, epssAbove = 0.1 }
    error_message = "Each escalation setting reaches the document under its camelCase name."
  }
}

# Only the EPSS source moved (plain http on a port, inside a VPC); KEV stays the product's default, left out. The
# bounds of epss_above are scores too: 0 escalates any scored finding.
run "epss_mirror_kev_default" {
  command = plan

  variables {
    intel    = { epss_url = "http://epss-mirror.internal:8080/data/v1/epss" }
    escalate = { epss_above = 0 }
  }

  assert {
    condition     = jsondecode(output.config_document).intel == { epssUrl = "http://epss-mirror.internal:8080/data/v1/epss" }
    error_message = "Only the EPSS mirror is in the document; KEV, on without a URL, is left to the functions' default."
  }

  assert {
    condition     = jsondecode(output.config_document).escalate == { kev = true, exploitAvailable = false, epssAbove = 0 }
    error_message = "epss_above 0 is kept (not taken for unset), next to the other escalations' defaults."
  }
}
