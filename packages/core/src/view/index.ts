// The reporter view kit: how every reporter names an image, a severity, a score and a missing fix, and how it
// checks its templates — one meaning each, whatever the target format escapes afterwards.
export {
  BACK_WITHIN_THRESHOLDS,
  backWithinThresholdsClause,
  backWithinThresholdsText,
  backWithinThresholdsTitle,
  CHANGES_MAX_IDS,
  type ChangeKind,
  type ChangeLine,
  type ChangesTextOptions,
  changeLines,
  changesHeadline,
  changesShort,
  isBackWithinThresholdsNotice,
  reportedChanges,
} from "./changes.js";
export { incompleteNote } from "./completeness.js";
export {
  digestPeriodName,
  formatAge,
  formatDelta,
  shownSeverities,
  templateCheckDigests,
} from "./digest.js";
export { type FixStatus, fixStatus, formatCvss, missingFixText } from "./finding.js";
export {
  type AccountRef,
  accountLabel,
  accountShortLabel,
  type ImageRef,
  reportImageLabel,
  shortDigest,
  subjectAccount,
} from "./image.js";
export {
  digestKevHeadline,
  ESCALATION_MAX_IDS,
  type EscalationTextOptions,
  epssText,
  escalationText,
  exploitText,
  feedDay,
  fixNoteText,
  type IntelBadge,
  type IntelBadgeKind,
  type IntelCounts,
  intelBadges,
  intelCounts,
  intelNote,
  isExploitable,
  isKnownRansomwareUse,
  isOverdue,
  kevBadge,
  kevCountText,
  kevDueText,
  requiredActionText,
} from "./intel.js";
export { countsSummary, mostSevereFirst, severityName, severityRank } from "./severity.js";
export { checkTemplates, templateCheckReports, templatesOptionSchema } from "./templates.js";
