import type { CveRecord } from "../data/cve-records.js";
import { EcrApi, type ScanRequestRecord } from "./api.js";
import { type ScanEventListener, ScanSimulator } from "./scans.js";
import { EcrImageStore } from "./store.js";
import type { EcrImageActionEvent, EcrOptions, SandboxRepository, SeedImage } from "./types.js";

/** Called with each image deletion event, as an EventBridge rule would deliver it. */
export type ImageActionListener = (event: EcrImageActionEvent) => void;

/**
 * An in-memory Amazon ECR private registry: the operations ecr-scan-reporter calls, plus CreateRepository and
 * PutImage to seed it, with AWS-native basic scanning semantics (docs/architecture.md, "The sandbox", lists each
 * behaviour and the AWS documentation it follows). It joins the image store, the scan simulation and the API.
 */
export class EcrSandbox {
  private readonly scans: ScanSimulator;
  private readonly store: EcrImageStore;
  private readonly api: EcrApi;
  private readonly imageActionListeners: ImageActionListener[] = [];

  constructor(readonly options: EcrOptions) {
    this.scans = new ScanSimulator(options);
    this.store = new EcrImageStore(options, (repository, image, at) =>
      this.scans.imagePushed(repository, image, at),
    );
    this.api = new EcrApi(options, this.store, this.scans, (event) => {
      for (const listener of this.imageActionListeners) listener(event);
    });
  }

  get repositories(): Map<string, SandboxRepository> {
    return this.store.repositories;
  }

  /** Every StartImageScan answered, in order, with what it answered. */
  get scanRequests(): ScanRequestRecord[] {
    return this.api.scanRequests;
  }

  /** The registry's scanning configuration, as PutRegistryScanningConfiguration sets it. */
  get scanType(): "BASIC" | "ENHANCED" {
    return this.scans.scanType;
  }

  set scanType(value: "BASIC" | "ENHANCED") {
    this.scans.scanType = value;
  }

  /** The JSON 1.1 operations, by name, taking and returning plain JSON. */
  get operations(): Record<string, (input: Record<string, unknown>) => unknown> {
    return this.api.operations;
  }

  /** Calls `listener` with each scan-completion event, as an EventBridge rule would deliver it. */
  onScanEvent(listener: ScanEventListener): void {
    this.scans.onScanEvent(listener);
  }

  /**
   * Calls `listener` with each "ECR Image Action" DELETE event, as an EventBridge rule would deliver it: one per image
   * id BatchDeleteImage deleted, a tag removed from an image that keeps others included (AWS does not say whether it
   * sends one then; the sandbox does, so that the code cannot read the event as "the digest is gone").
   */
  onImageAction(listener: ImageActionListener): void {
    this.imageActionListeners.push(listener);
  }

  /** Publishes the enhanced findings held back after their scan event, with an Inspector2 Finding event each. */
  releaseLateFindings(): number {
    return this.scans.releaseLateFindings();
  }

  /**
   * The vulnerability feed's update: scans that complete from now on also find these records in every image with
   * the package version each names (newly published CVEs reaching images already scanned).
   */
  publishCves(records: readonly CveRecord[]): void {
    this.scans.publishCves(records);
  }

  /** What publishCves added to the feed, in order. */
  get publishedCves(): readonly CveRecord[] {
    return this.scans.publishedCves();
  }

  /** Scans started and not finished yet. */
  pendingScanCount(): number {
    return this.scans.pendingScanCount();
  }

  /** Resolves when no scan is in progress. */
  whenScansSettled(): Promise<void> {
    return this.scans.whenScansSettled();
  }

  createRepository(name: string): SandboxRepository {
    return this.store.createRepository(name);
  }

  /** Adds an image (or artifact) with the given history; returns its digest. */
  seedImage(repositoryName: string, seed: SeedImage = {}, manifest?: string): string {
    return this.store.seedImage(repositoryName, seed, manifest);
  }

  /** Stops pending scan timers. */
  close(): void {
    this.scans.close();
  }
}
