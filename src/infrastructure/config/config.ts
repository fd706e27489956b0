import { resolve } from "node:path";

export type StorageKind = "postgres" | "pglite" | "memory";
export type LogLevel = "error" | "warn" | "info" | "debug" | "silent";
export type LogFormat = "json" | "pretty";

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly storage: StorageKind;
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly maxBodyBytes: number;
  readonly maxKeysPerPut: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly sweepIntervalSeconds: number;
  readonly sweepBatchSize: number;
  readonly dbPoolMax: number;
  readonly dbConnectTimeoutMs: number;
  readonly dbQueryTimeoutMs: number;
  readonly dbStartupTimeoutSeconds: number;
  readonly shutdownTimeoutSeconds: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const STORAGE_KINDS: readonly StorageKind[] = ["postgres", "pglite", "memory"];
const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug", "silent"];
const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

/**
 * Reads and validates the configuration. The only module that touches
 * process.env; everything else receives an AppConfig. Fails fast with one
 * message naming the variable, instead of starting half-configured.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const databaseUrl = text(env, "DATABASE_URL");
  const storage = oneOf(env, "STORAGE", STORAGE_KINDS, databaseUrl === null ? "pglite" : "postgres");
  if (storage === "postgres" && databaseUrl === null) {
    throw new ConfigError("STORAGE=postgres needs DATABASE_URL (for example postgres://user:password@host:5432/kv)");
  }
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL must start with postgres:// or postgresql://");
  }
  const requestTimeoutMs = integer(env, "REQUEST_TIMEOUT_MS", 30_000, 1000, 3_600_000);
  const headersTimeoutMs = integer(env, "HEADERS_TIMEOUT_MS", 10_000, 1000, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`HEADERS_TIMEOUT_MS=${headersTimeoutMs} must not exceed REQUEST_TIMEOUT_MS=${requestTimeoutMs}`);
  }
  return {
    port: integer(env, "PORT", 8080, 0, 65535),
    host: text(env, "HOST") ?? "0.0.0.0",
    storage,
    databaseUrl,
    dataDir: resolve(text(env, "DATA_DIR") ?? "./data"),
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    logFormat: oneOf(env, "LOG_FORMAT", LOG_FORMATS, "json"),
    maxBodyBytes: integer(env, "MAX_BODY_BYTES", 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxKeysPerPut: integer(env, "MAX_KEYS_PER_PUT", 10_000, 1, 1_000_000),
    requestTimeoutMs,
    headersTimeoutMs,
    sweepIntervalSeconds: integer(env, "SWEEP_INTERVAL_SECONDS", 30, 0, 86_400),
    sweepBatchSize: integer(env, "SWEEP_BATCH_SIZE", 1000, 1, 100_000),
    dbPoolMax: integer(env, "DB_POOL_MAX", 10, 1, 1000),
    dbConnectTimeoutMs: integer(env, "DB_CONNECT_TIMEOUT_MS", 5000, 100, 600_000),
    dbQueryTimeoutMs: integer(env, "DB_QUERY_TIMEOUT_MS", 30_000, 100, 600_000),
    dbStartupTimeoutSeconds: integer(env, "DB_STARTUP_TIMEOUT_SECONDS", 60, 0, 86_400),
    shutdownTimeoutSeconds: integer(env, "SHUTDOWN_TIMEOUT_SECONDS", 10, 1, 3600),
  };
}

function text(env: Readonly<Record<string, string | undefined>>, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function oneOf<T extends string>(env: Readonly<Record<string, string | undefined>>, name: string, allowed: readonly T[], fallback: T): T {
  const value = text(env, name);
  if (value === null) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name}=${value} is not one of: ${allowed.join(", ")}`);
  }
  return value as T;
}

function integer(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min: number, max: number): number {
  const value = text(env, name);
  if (value === null) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${name}=${value} must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}
