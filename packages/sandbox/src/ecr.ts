// The sandbox's Amazon ECR, split into ecr/store.ts (repositories and images), ecr/scans.ts (scans, quotas and
// events), ecr/api.ts (the JSON 1.1 operations) and ecr/sandbox.ts (the class joining them).
export type { ScanRequestRecord } from "./ecr/api.js";
export { EcrRegistry, EcrSandbox, type ImageActionListener } from "./ecr/sandbox.js";
export { DEFAULT_SCANS_PER_REGISTRY_PER_DAY, SCANS_PER_IMAGE_PER_DAY } from "./ecr/scans.js";
export { DOCKER_IMAGE_CONFIG, DOCKER_MANIFEST } from "./ecr/store.js";
export type {
  BasicFinding,
  EcrImageActionEvent,
  EcrOptions,
  EcrScanEvent,
  EnhancedFinding,
  InspectorFindingEvent,
  InspectorScanEvent,
  SandboxImage,
  SandboxRepository,
  ScanRecord,
  SeedImage,
} from "./ecr/types.js";
