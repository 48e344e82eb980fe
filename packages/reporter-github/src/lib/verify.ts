import { ReporterError } from "@ecr-scan-reporter/core";
import { type GitHubClient, gitHubMessageOf, statusOf } from "../client.js";

/**
 * The start-up check: the token is accepted, the repository exists with issues on, and the token may label its
 * issues — GitHub silently drops the labels of an issue opened by someone who may not, and an issue without its
 * label is never found again. Errors name `owner/repo` and the API root, never the token.
 */
export async function verifyRepository(
  octokit: GitHubClient,
  target: { owner: string; repo: string; baseUrl: string },
): Promise<void> {
  const { owner, repo, baseUrl } = target;
  const where = `${owner}/${repo}`;
  let data: { has_issues?: boolean; permissions?: Record<string, boolean | undefined> };
  try {
    ({ data } = await octokit.rest.repos.get({ owner, repo }));
  } catch (error) {
    const status = statusOf(error);
    throw new ReporterError(
      "github",
      `cannot read GitHub repository ${where} at ${baseUrl}${status ? ` (${status})` : ""}: ` +
        `${gitHubMessageOf(error)}. Check that the repository exists and that the token may read it and ` +
        "write its issues (fine-grained token: Issues read/write and Metadata read; classic token: repo scope).",
      { cause: error },
    );
  }
  if (data.has_issues === false) {
    throw new ReporterError(
      "github",
      `GitHub repository ${where} has issues turned off: turn them on in its settings`,
    );
  }
  const p = data.permissions;
  if (p && !(p.push || p.triage || p.maintain || p.admin)) {
    throw new ReporterError(
      "github",
      `the token can read ${where} but cannot label its issues (it needs triage or write access): GitHub would ` +
        "drop the labels by which issues are found again",
    );
  }
}
