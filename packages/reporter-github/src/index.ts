import { githubReporter } from "./github-reporter.js";

export {
  type ClientTuning,
  createGitHubClient,
  DEFAULT_BASE_URL,
  DEFAULT_TUNING,
  type GitHubClient,
  GitHubOctokit,
} from "./client.js";
export {
  type DigestCommentEvent,
  digestHeadline,
  type FittedDigestBody,
  fitDigestBody,
  type ImageIssueLookup,
  renderDigestComment,
  renderDigestTitle,
} from "./digest-render.js";
export { createGitHubReporter, defineGitHubReporter, githubReporter } from "./github-reporter.js";
export { imageIssueIndex, imageIssueLookup } from "./lib/digest-issue.js";
export { type ExistingIssue, type IssueAction, planIssueAction } from "./lifecycle.js";
export { markdownCode, markdownText } from "./markdown.js";
export {
  compareFindings,
  type DigestBodyState,
  defuseMarkers,
  digestMarker,
  digestStateMarker,
  FINDING_HASHES_MAX_CHARS,
  FINDING_IDS_MAX_CHARS,
  type FindingsChange,
  type FindingsState,
  findingIdsOf,
  findingsMarker,
  findingsStateOf,
  hasImageMarker,
  type ImageReference,
  imageMarker,
  imageMarkerOf,
  imageReferenceOf,
  parseDigestStateMarker,
  parseFindingsMarker,
} from "./markers.js";
export {
  DEFAULT_LABELS,
  DEFAULT_MAX_FINDINGS,
  DEFAULT_SEVERITY_LABELS,
  type GitHubReporterOptions,
  type GitHubReporterOptionsInput,
  githubOptionsSchema,
} from "./options.js";
export {
  COMMENT_TEMPLATE,
  createGitHubRenderer,
  type FittedIssueBody,
  fitIssueBody,
  GITHUB_BODY_MAX_CHARS,
  GITHUB_TITLE_MAX_CHARS,
  ISSUE_TEMPLATE,
  type IssueBodyOptions,
  renderComment,
  renderIssueBody,
  renderIssueTitle,
} from "./render.js";
export {
  type CommentEvent,
  type CommentView,
  type FindingView,
  type IssueView,
  imageLabelText,
  safeLinkUrl,
} from "./view.js";

export default githubReporter;
