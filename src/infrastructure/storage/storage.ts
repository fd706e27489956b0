import type { ChunkPolicy } from "../../application/list-values";
import type { ChangeLog } from "../../domain/change-log";
import type { ChangeSignal } from "../../domain/change-signal";
import type { Clock } from "../../domain/clock";
import type { KeyValueRepository } from "../../domain/key-value-repository";
import type { AppConfig, StorageKind } from "../config/config";
import type { Logger } from "../logging/logger";
import type { Metrics } from "../metrics/metrics";

/** An opened storage backend: its repository, and how to release it. */
export interface Storage {
  readonly kind: StorageKind;
  readonly repository: KeyValueRepository;
  /** The store's changes; null where the storage keeps none (a Citus distributed table). */
  readonly changes: ChangeLog | null;
  /** Wakes the change log's readers; null exactly when `changes` is. */
  readonly changeSignal: ChangeSignal | null;
  /** How much one listing read should fetch from this backend. */
  readonly listChunks: ChunkPolicy;
  close(): Promise<void>;
}

export interface StorageContext {
  readonly config: AppConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Called when an open storage can no longer be trusted to serve (the
   * embedded database's worker died, its data-directory lock was lost). The
   * storage does not decide what happens next; the entry point does.
   */
  readonly onLost: (error: StorageLostError) => void;
}

export class StorageLostError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageLostError";
  }
}
