// The reporter view kit: how every reporter names an image, a severity, a score and a missing fix, and how it
// checks its templates — one meaning each, whatever the target format escapes afterwards.
export { incompleteNote } from "./completeness.js";
export { type FixStatus, fixStatus, formatCvss, missingFixText } from "./finding.js";
export { type ImageRef, reportImageLabel, shortDigest } from "./image.js";
export { countsSummary, mostSevereFirst, severityName, severityRank } from "./severity.js";
export { checkTemplates, templateCheckReports, templatesOptionSchema } from "./templates.js";
