import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { OpenApiDocument } from "./openapi.js";
import { type OperationMatch, OperationRouter } from "./router.js";
import { OperationValidator } from "./validation.js";

/** Where the api.github.com description lives inside `@octokit/openapi` (the package's `index.js` would load all ten). */
const DESCRIPTION_MODULE = "@octokit/openapi/generated/api.github.com.json";
/**
 * The copy the CLI's build puts next to its bundle (packages/cli/scripts/build.mjs): the packed CLI carries this one
 * file, not `@octokit/openapi` (385 MB, every GitHub edition). From the sources the file is not there.
 */
const BUNDLED_COPY = new URL("./api.github.com.json", import.meta.url);

/** The api.github.com description, with request (and response) validators compiled on first use per operation. */
export class GitHubApiDescription {
  readonly document: OpenApiDocument;
  private readonly router: OperationRouter;
  private readonly validator: OperationValidator;

  constructor(document: OpenApiDocument) {
    this.document = document;
    this.router = new OperationRouter(document.paths);
    this.validator = new OperationValidator(document);
  }

  /** The operation of `method` on `path`, or why there is none. */
  match(method: string, path: string): OperationMatch | { error: string } {
    return this.router.match(method, path);
  }

  /**
   * The problems of a request against its operation: path parameters, query parameters (values coerced from text
   * the way a server reads them; a parameter the operation does not document is a problem too, since GitHub
   * would silently ignore it), and the JSON body (a top-level property the schema does not list is a problem for
   * the same reason).
   */
  validateRequest(match: OperationMatch, query: URLSearchParams, body: unknown, hasBody: boolean): string[] {
    return this.validator.validateRequest(match, query, body, hasBody);
  }

  /** The problems of an answer against the operation's documented response for that status. */
  validateResponse(match: OperationMatch, status: number, body: unknown): string[] {
    return this.validator.validateResponse(match, status, body);
  }
}

let description: GitHubApiDescription | undefined;

/** GitHub's api.github.com description, read and prepared once per process (it is 13 MB of JSON). */
export function loadGitHubApiDescription(): GitHubApiDescription {
  if (!description) {
    const file = existsSync(BUNDLED_COPY)
      ? BUNDLED_COPY
      : createRequire(import.meta.url).resolve(DESCRIPTION_MODULE);
    description = new GitHubApiDescription(JSON.parse(readFileSync(file, "utf8")) as OpenApiDocument);
  }
  return description;
}
