import type { JsonObject } from "./openapi.js";

// The lengths GitHub refuses with 422 "Validation Failed", and the error each one gets. GitHub's description
// says none of them; its API answers them:
// - an issue title past 256 characters: {"resource":"Issue","code":"custom","field":"title","message":"title is
//   too long (maximum is 256 characters)"} (googleapis/repo-automation-bots#1895);
// - an issue or comment body past 65,536 characters: "body is too long (maximum is 65536 characters)"
//   (peter-evans/create-issue-from-file#1705);
// - a label name past 50 characters on an issue: {"value":…,"resource":"Label","field":"name","code":"invalid"}
//   (semantic-release/github#518; "name is too long (maximum is 50 characters)" when the label itself is created,
//   github/docs#32156).
// Lengths are UTF-16 code units, never fewer than GitHub's characters: the receiver is at least as strict.

export const GITHUB_ISSUE_TITLE_MAX_CHARS = 256;
export const GITHUB_BODY_MAX_CHARS = 65_536;
export const GITHUB_LABEL_NAME_MAX_CHARS = 50;

/** One entry of a 422's `errors`, as GitHub writes it. */
export interface GitHubValidationError {
  resource: string;
  field: string;
  code: string;
  message?: string;
  value?: string;
}

const DOCUMENTATION: Record<string, string> = {
  "issues/create": "https://docs.github.com/rest/issues/issues#create-an-issue",
  "issues/update": "https://docs.github.com/rest/issues/issues#update-an-issue",
  "issues/create-comment": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
  "issues/update-comment": "https://docs.github.com/rest/issues/comments#update-an-issue-comment",
};

const tooLong = (resource: string, field: string, max: number): GitHubValidationError => ({
  resource,
  code: "custom",
  field,
  message: `${field} is too long (maximum is ${max} characters)`,
});

function labelNames(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .map((item) => (typeof item === "string" ? item : (item as { name?: unknown } | null)?.name))
    .filter((name): name is string => typeof name === "string");
}

/** The length errors of a request body GitHub would refuse; none for other operations or a body within limits. */
export function lengthErrors(operationId: string, body: unknown): GitHubValidationError[] {
  if (!(operationId in DOCUMENTATION) || body === null || typeof body !== "object") return [];
  const fields = body as JsonObject;
  const errors: GitHubValidationError[] = [];
  const isIssue = operationId === "issues/create" || operationId === "issues/update";
  const resource = isIssue ? "Issue" : "IssueComment";
  if (isIssue && typeof fields.title === "string" && fields.title.length > GITHUB_ISSUE_TITLE_MAX_CHARS) {
    errors.push(tooLong(resource, "title", GITHUB_ISSUE_TITLE_MAX_CHARS));
  }
  if (typeof fields.body === "string" && fields.body.length > GITHUB_BODY_MAX_CHARS) {
    errors.push(tooLong(resource, "body", GITHUB_BODY_MAX_CHARS));
  }
  if (isIssue) {
    for (const name of labelNames(fields.labels)) {
      if (name.length > GITHUB_LABEL_NAME_MAX_CHARS) {
        errors.push({ value: name, resource: "Label", field: "name", code: "invalid" });
      }
    }
  }
  return errors;
}

/** GitHub's 422 body for those errors. */
export function validationFailed(operationId: string, errors: GitHubValidationError[]) {
  return {
    message: "Validation Failed",
    errors,
    documentation_url: DOCUMENTATION[operationId] ?? "https://docs.github.com/rest",
    status: "422",
  };
}
