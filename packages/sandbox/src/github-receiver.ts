// A local GitHub REST API for the endpoints the GitHub reporter uses, answering like api.github.com and checking
// every request against GitHub's own published OpenAPI description (`@octokit/openapi`): the path and method must
// be an operation of it, and the path parameters, query parameters and JSON body must match that operation's
// schemas. Its parts, under github/: router.ts and validation.ts (the description), state.ts (repositories,
// issues, comments and GitHub's rules for them), limits.ts (the lengths GitHub refuses), rate-limits.ts (secondary
// rate limits), operations.ts and representations.ts (the answers), server.ts (HTTP, credentials, the record of
// requests).
export { GitHubApiDescription, loadGitHubApiDescription } from "./github/description.js";
export type { SecondaryLimit } from "./github/rate-limits.js";
export type { OperationMatch } from "./github/router.js";
export { startGitHubReceiver } from "./github/server.js";
export type {
  GitHubReceiver,
  GitHubReceiverOptions,
  GitHubRequestRecord,
  GitHubViolation,
  ReceivedComment,
  ReceivedIssue,
  RepositoryPermissions,
} from "./github/types.js";
