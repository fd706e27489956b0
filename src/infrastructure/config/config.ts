import { readFileSync } from "node:fs";
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
  /** Bearer tokens accepted on /keys; empty = no authentication. */
  readonly apiTokens: readonly string[];
  /** Whether /metrics also needs a token (only meaningful with apiTokens). */
  readonly metricsAuth: boolean;
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
  const apiTokens = tokensFrom(env);
  const metricsAuth = oneOf(env, "METRICS_AUTH", ["open", "token"] as const, "open") === "token";
  if (metricsAuth && apiTokens.length === 0) throw new ConfigError("METRICS_AUTH=token needs API_TOKEN or API_TOKENS_FILE");
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
    apiTokens,
    metricsAuth,
  };
}

const MIN_TOKEN_LENGTH = 16;

/**
 * API_TOKEN (one token) and/or API_TOKENS_FILE (one per line; blank lines and
 * lines starting with # ignored; read once at startup, so rotating means a
 * restart). Short tokens are refused: they could be guessed.
 */
function tokensFrom(env: Readonly<Record<string, string | undefined>>): string[] {
  const tokens: string[] = [];
  const single = text(env, "API_TOKEN");
  if (single !== null) tokens.push(single);
  const file = text(env, "API_TOKENS_FILE");
  if (file !== null) {
    let content: string;
    try {
      content = readFileSync(file, "utf8");
    } catch (error) {
      throw new ConfigError(`API_TOKENS_FILE=${file} cannot be read: ${(error as Error).message}`);
    }
    const lines = content.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
    if (lines.length === 0) throw new ConfigError(`API_TOKENS_FILE=${file} holds no token`);
    tokens.push(...lines);
  }
  for (const token of tokens) {
    if (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
      throw new ConfigError(`API tokens must be at least ${MIN_TOKEN_LENGTH} printable ASCII characters without spaces (e.g. openssl rand -hex 32)`);
    }
  }
  return tokens;
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
