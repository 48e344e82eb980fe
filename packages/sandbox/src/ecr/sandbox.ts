import { AwsError } from "../aws-error.js";
import type { CveRecord } from "../data/cve-records.js";
import { EcrApi, type ScanRequestRecord } from "./api.js";
import { type ScanEventListener, ScanSimulator } from "./scans.js";
import { EcrImageStore } from "./store.js";
import type { EcrImageActionEvent, EcrOptions, SandboxRepository, SeedImage } from "./types.js";

/** Called with each image deletion event, as an EventBridge rule would deliver it. */
export type ImageActionListener = (event: EcrImageActionEvent) => void;

type Operations = Record<string, (input: Record<string, unknown>) => unknown>;

/**
 * One account's private registry: its repositories and images, its scanning configuration, its scan quotas (ECR
 * counts them per registry) and the events it sends, which name its account and its repositories' ARNs — as every
 * account has its own registry in a region (ECR User Guide, "Amazon ECR private registry": "each AWS account is
 * provided with a default private Amazon ECR registry").
 */
export class EcrRegistry {
  private readonly scans: ScanSimulator;
  private readonly store: EcrImageStore;
  private readonly api: EcrApi;

  constructor(
    readonly options: EcrOptions,
    events: { onScanEvent: ScanEventListener; onImageAction: ImageActionListener },
    scanRequests: ScanRequestRecord[],
  ) {
    this.scans = new ScanSimulator(options);
    this.scans.onScanEvent(events.onScanEvent);
    this.store = new EcrImageStore(options, (repository, image, at) =>
      this.scans.imagePushed(repository, image, at),
    );
    this.api = new EcrApi(options, this.store, this.scans, events.onImageAction, scanRequests);
  }

  /** The registry id: its account. */
  get accountId(): string {
    return this.options.accountId;
  }

  get repositories(): Map<string, SandboxRepository> {
    return this.store.repositories;
  }

  /** This registry's StartImageScan requests, in order, with what each was answered. */
  get scanRequests(): ScanRequestRecord[] {
    return this.api.scanRequests.filter((r) => r.registryId === this.accountId);
  }

  /** The registry's scanning configuration, as PutRegistryScanningConfiguration sets it. */
  get scanType(): "BASIC" | "ENHANCED" {
    return this.scans.scanType;
  }

  set scanType(value: "BASIC" | "ENHANCED") {
    this.scans.scanType = value;
  }

  /** The JSON 1.1 operations on this registry, by name. */
  get operations(): Operations {
    return this.api.operations;
  }

  createRepository(name: string): SandboxRepository {
    return this.store.createRepository(name);
  }

  /** Adds an image (or artifact) with the given history; returns its digest. */
  seedImage(repositoryName: string, seed: SeedImage = {}, manifest?: string): string {
    return this.store.seedImage(repositoryName, seed, manifest);
  }

  releaseLateFindings(): number {
    return this.scans.releaseLateFindings();
  }

  publishCves(records: readonly CveRecord[]): void {
    this.scans.publishCves(records);
  }

  pendingScanCount(): number {
    return this.scans.pendingScanCount();
  }

  whenScansSettled(): Promise<void> {
    return this.scans.whenScansSettled();
  }

  close(): void {
    this.scans.close();
  }
}

/**
 * An in-memory Amazon ECR: one private registry per account (the sandbox's own, `options.accountId`, and each
 * member account's, `addRegistry`), the operations ecr-scan-reporter calls, plus CreateRepository and PutImage to
 * seed it, with AWS-native basic scanning semantics (docs/architecture.md, "The sandbox", lists each behaviour and
 * the AWS documentation it follows). A request goes to the registry its `registryId` names — the caller's own
 * account when absent, which the server fills in before anything else (sandbox.ts) — as ECR's API reference says
 * of every registryId: "If you do not specify a registry, the default registry is assumed". The methods without a
 * registry id act on the sandbox's own registry, as they did before there were several.
 */
export class EcrSandbox {
  /** Served calls (authorized, not throttled) per registry account, then per operation: for the bench's figures. */
  readonly callsByAccount: Record<string, Record<string, number>> = {};
  private readonly registries = new Map<string, EcrRegistry>();
  private readonly home: EcrRegistry;
  private readonly scanEventListeners: ScanEventListener[] = [];
  private readonly imageActionListeners: ImageActionListener[] = [];
  private readonly sharedScanRequests: ScanRequestRecord[] = [];
  /** What publishCves added, to give a registry added later the same vulnerability feed. */
  private readonly feedUpdates: CveRecord[] = [];
  private readonly dispatch: Operations;

  constructor(readonly options: EcrOptions) {
    this.home = this.addRegistry(options.accountId);
    // One object for the server (and whoever wraps its operations, as the bench does), each entry routing the
    // request to the registry it names.
    this.dispatch = Object.fromEntries(
      Object.keys(this.home.operations).map((name) => [
        name,
        (input: Record<string, unknown>) => {
          const registry = this.registryOf(input.registryId);
          const calls = this.callsByAccount[registry.accountId] ?? {};
          calls[name] = (calls[name] ?? 0) + 1;
          this.callsByAccount[registry.accountId] = calls;
          return registry.operations[name]?.(input);
        },
      ]),
    );
  }

  /** The registry of an account, made empty (BASIC scanning) the first time it is asked for. */
  addRegistry(accountId: string): EcrRegistry {
    let registry = this.registries.get(accountId);
    if (registry) return registry;
    registry = new EcrRegistry(
      { ...this.options, accountId },
      {
        onScanEvent: (event) => {
          for (const listener of this.scanEventListeners) listener(event);
        },
        onImageAction: (event) => {
          for (const listener of this.imageActionListeners) listener(event);
        },
      },
      this.sharedScanRequests,
    );
    registry.publishCves(this.feedUpdates);
    this.registries.set(accountId, registry);
    return registry;
  }

  /** The registry of an account (the sandbox's own when none is named); an error for an account with none. */
  registry(accountId: string = this.options.accountId): EcrRegistry {
    const registry = this.registries.get(accountId);
    if (!registry)
      throw new Error(`the sandbox's ECR has no registry for account ${accountId} (addAccount first)`);
    return registry;
  }

  /** The account ids that have a registry, the sandbox's own first. */
  get registryIds(): string[] {
    return [...this.registries.keys()];
  }

  get repositories(): Map<string, SandboxRepository> {
    return this.home.repositories;
  }

  /** The scanning configuration of the registry a request names (BASIC for one that does not exist). */
  scanTypeOf(registryId: unknown): "BASIC" | "ENHANCED" {
    return this.registries.get(String(registryId))?.scanType ?? "BASIC";
  }

  /** Every StartImageScan answered, in every registry, in order, with what it answered. */
  get scanRequests(): ScanRequestRecord[] {
    return this.sharedScanRequests;
  }

  /** The sandbox's own registry's scanning configuration (`registry(id).scanType` for another's). */
  get scanType(): "BASIC" | "ENHANCED" {
    return this.home.scanType;
  }

  set scanType(value: "BASIC" | "ENHANCED") {
    this.home.scanType = value;
  }

  /** The JSON 1.1 operations, by name, taking and returning plain JSON, routed by `registryId`. */
  get operations(): Operations {
    return this.dispatch;
  }

  /** Calls `listener` with each scan-completion event of every registry, as an EventBridge rule would deliver it. */
  onScanEvent(listener: ScanEventListener): void {
    this.scanEventListeners.push(listener);
  }

  /**
   * Calls `listener` with each "ECR Image Action" DELETE event of every registry, as an EventBridge rule would
   * deliver it: one per image id BatchDeleteImage deleted, a tag removed from an image that keeps others included (AWS
   * does not say whether it sends one then; the sandbox does, so that the code cannot read the event as "the digest
   * is gone").
   */
  onImageAction(listener: ImageActionListener): void {
    this.imageActionListeners.push(listener);
  }

  /** Publishes the enhanced findings held back after their scan event, with an Inspector2 Finding event each. */
  releaseLateFindings(): number {
    return [...this.registries.values()].reduce((n, registry) => n + registry.releaseLateFindings(), 0);
  }

  /**
   * The vulnerability feed's update: scans that complete from now on also find these records in every image with
   * the package version each names (newly published CVEs reaching images already scanned), in every registry.
   */
  publishCves(records: readonly CveRecord[]): void {
    for (const record of records)
      if (!this.feedUpdates.some((r) => r.id === record.id)) this.feedUpdates.push(record);
    for (const registry of this.registries.values()) registry.publishCves(records);
  }

  /** What publishCves added to the feed, in order. */
  get publishedCves(): readonly CveRecord[] {
    return this.feedUpdates;
  }

  /** Scans started and not finished yet, in every registry. */
  pendingScanCount(): number {
    return [...this.registries.values()].reduce((n, registry) => n + registry.pendingScanCount(), 0);
  }

  /** Resolves when no scan is in progress in any registry. */
  async whenScansSettled(): Promise<void> {
    while (this.pendingScanCount() > 0) {
      await Promise.all([...this.registries.values()].map((registry) => registry.whenScansSettled()));
    }
  }

  /** Creates a repository in the sandbox's own registry, or in the registry of `registryId`. */
  createRepository(name: string, registryId?: string): SandboxRepository {
    return this.registry(registryId).createRepository(name);
  }

  /** Adds an image (or artifact) with the given history to the sandbox's own registry, or `registryId`'s. */
  seedImage(repositoryName: string, seed: SeedImage = {}, manifest?: string, registryId?: string): string {
    return this.registry(registryId).seedImage(repositoryName, seed, manifest);
  }

  /** Stops pending scan timers. */
  close(): void {
    for (const registry of this.registries.values()) registry.close();
  }

  /**
   * The registry a request names. Only the administrator reaches here with a registry id of no account (any other
   * caller is denied first: no resource-based policy allows it, authorizer.ts `decide`), and what AWS answers then
   * is unknown: RepositoryNotFoundException is the error ECR's API reference lists for these operations, but its
   * message, "The registry with id '…' does not exist", is sandbox-only wording (AWS's own messages name a
   * repository: "The repository with name '…' does not exist in the registry with id '…'").
   */
  private registryOf(registryId: unknown): EcrRegistry {
    const registry = this.registries.get(
      typeof registryId === "string" ? registryId : this.options.accountId,
    );
    if (!registry) {
      throw new AwsError(
        "RepositoryNotFoundException",
        `The registry with id '${String(registryId)}' does not exist`,
      );
    }
    return registry;
  }
}
