// The CLI writes the AWS SDK's standard variables into process.env (--region, --profile, placeholder credentials):
// tests that run it in-process keep every variable as it was, since unit test files share a worker's process.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The AWS variables a developer's shell may carry, which would change what the CLI under test resolves. */
const AWS_VARIABLES = [
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_PROFILE",
  "AWS_ENDPOINT_URL",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CONFIG_FILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "CI",
];

/**
 * Gives the test a machine with no AWS set-up: none of the variables above, and a home folder of its own whose
 * ~/.aws/config and ~/.aws/credentials hold `files` (none by default). Returns the home folder and a function that
 * puts process.env back exactly as it was.
 */
export function isolatedAwsEnvironment(files: { config?: string; credentials?: string } = {}): {
  home: string;
  restore: () => void;
} {
  const saved = { ...process.env };
  for (const name of AWS_VARIABLES) delete process.env[name];
  const home = mkdtempSync(join(tmpdir(), "cli-home-"));
  mkdirSync(join(home, ".aws"));
  if (files.config !== undefined) writeFileSync(join(home, ".aws", "config"), files.config);
  if (files.credentials !== undefined) writeFileSync(join(home, ".aws", "credentials"), files.credentials);
  process.env.HOME = home;
  process.env.USERPROFILE = home;
  return {
    home,
    restore: () => {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    },
  };
}
