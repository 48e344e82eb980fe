import type { ReporterDeps } from "@ecr-scan-reporter/core";
import { type ClientTuning, createGitHubClient, type GitHubClient } from "../client.js";
import type { GitHubReporterOptions } from "../options.js";

/** The reporter's one client, made on first use (the token is read then); a failed secret read is not kept. */
export function lazyClient(
  options: Pick<GitHubReporterOptions, "token" | "baseUrl" | "pacing">,
  deps: ReporterDeps,
  tuning: ClientTuning,
): () => Promise<GitHubClient> {
  let client: Promise<GitHubClient> | undefined;
  return () => {
    if (!client) {
      const created = deps
        .resolveSecret(options.token)
        .then((token) => createGitHubClient(token, options.baseUrl, deps, { ...options.pacing, ...tuning }));
      // The next report tries again.
      created.catch(() => {
        if (client === created) client = undefined;
      });
      client = created;
    }
    return client;
  };
}
