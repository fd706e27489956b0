import type { Clock } from "../../domain/clock";
import type { KeyValueRepository } from "../../domain/key-value-repository";
import type { AppConfig, StorageKind } from "../config/config";
import type { Logger } from "../logging/logger";
import type { Metrics } from "../metrics/metrics";

/** An opened storage backend: its repository, and how to release it. */
export interface Storage {
  readonly kind: StorageKind;
  readonly repository: KeyValueRepository;
  close(): Promise<void>;
}

export interface StorageContext {
  readonly config: AppConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}
