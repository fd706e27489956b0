import type { InjectionToken } from "tsyringe";
import type { Clock } from "./domain/clock";
import type { KeyValueRepository } from "./domain/key-value-repository";
import type { AppConfig } from "./infrastructure/config/config";
import type { Logger } from "./infrastructure/logging/logger";
import type { Metrics } from "./infrastructure/metrics/metrics";
import type { Storage } from "./infrastructure/storage/storage";

/** Injection tokens for things registered by value or factory in the composition root. */
export const TOKENS = {
  Config: Symbol("AppConfig") as InjectionToken<AppConfig>,
  Clock: Symbol("Clock") as InjectionToken<Clock>,
  Logger: Symbol("Logger") as InjectionToken<Logger>,
  Metrics: Symbol("Metrics") as InjectionToken<Metrics>,
  Storage: Symbol("Storage") as InjectionToken<Storage>,
  KeyValueRepository: Symbol("KeyValueRepository") as InjectionToken<KeyValueRepository>,
} as const;
