# The regular expressions of the variables are matched by the functions as JavaScript regular expressions, but
# Terraform can only check them with its own engine, RE2. The check below therefore:
#   - accepts a pattern RE2 compiles;
#   - accepts, unchecked, a pattern with lookaround ((?=, (?!, (?<=, (?<!) or backreferences (\1): JavaScript has
#     them, RE2 does not; the functions check such a pattern at cold start and fail with a clear message;
#   - rejects RE2-only syntax that JavaScript reads differently or not at all: (?P<name>…), inline flags like (?i),
#     \A, \z, \Q…\E and POSIX classes like [[:alpha:]]: the functions would take such a pattern, and match with
#     another meaning than the one intended.
# It is written once here, over every regex input, rather than in each variable's validation: before Terraform 1.9
# a validation may refer to its own variable only. The config_document output (outputs.tf) fails the plan with
# local.invalid_regex_message when any input fails it.

locals {
  regex_inputs = concat(
    [
      { name = "repository_include", value = var.repository_include },
      { name = "repository_exclude", value = var.repository_exclude },
    ],
    [for i, entry in var.ignore : { name = "ignore[${i}].repositories", value = entry.repositories }],
    [for name, reporter in var.reporters : { name = "reporters.${name}.repositories", value = reporter.repositories } if reporter != null],
    [for i, reporter in local.custom_reporters : { name = "custom_reporters[${i}].repositories", value = reporter.repositories }],
  )

  invalid_regex_inputs = [for input in local.regex_inputs : input if input.value != null && !(
    (can(regexall(input.value, "")) || can(regex("\\(\\?<?[=!]|\\\\[1-9]", input.value))) &&
    !can(regex("\\(\\?P<|\\(\\?[imsU-]+[):]|\\\\[AzQE]|\\[\\[:", input.value))
  )]

  invalid_regex_message = "${join(", ", [for input in local.invalid_regex_inputs : "${input.name} (${jsonencode(input.value)})"])} must be a regular expression that JavaScript understands, e.g. \"^team-a/\"; RE2-only syntax ((?P<name>…), (?i), \\A, \\z, \\Q…\\E, [[:alpha:]]) is not allowed. Use null for every repository."
}
