import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Retention } from "../../domain/change-log";

export type StorageKind = "postgres" | "pglite" | "memory";
export type LogLevel = "error" | "warn" | "info" | "debug" | "silent";
export type LogFormat = "json" | "pretty";

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly storage: StorageKind;
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  /** PGlite: writes are refused (507) while the data directory's disk has less free space than this. */
  readonly dataDirMinFreeBytes: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly maxBodyBytes: number;
  readonly maxKeysPerPut: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxListings: number;
  readonly sweepIntervalSeconds: number;
  readonly sweepBatchSize: number;
  /** How long the change log keeps changes (trimmed by the sweeper). */
  readonly watchRetention: Retention;
  readonly watchMaxStreams: number;
  readonly watchHeartbeatSeconds: number;
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

/** One environment variable the service reads: the single source of its name, default and meaning (for --help and the docs test). */
export interface EnvironmentVariable {
  readonly name: string;
  /** The default as written in the environment; "" = unset. */
  readonly fallback: string;
  readonly meaning: string;
}

export const ENVIRONMENT: readonly EnvironmentVariable[] = [
  { name: "PORT", fallback: "8080", meaning: "listen port (0 = any free port)" },
  { name: "HOST", fallback: "0.0.0.0", meaning: "listen address" },
  { name: "STORAGE", fallback: "", meaning: "postgres, pglite or memory; default: postgres when DATABASE_URL is set, else pglite" },
  { name: "DATABASE_URL", fallback: "", meaning: "postgres://user:password@host:5432/db (needed for STORAGE=postgres)" },
  { name: "DATA_DIR", fallback: "./data", meaning: "PGlite data directory, locked by one process" },
  { name: "DATA_DIR_MIN_FREE_MB", fallback: "64", meaning: "PGlite: writes get 507 while DATA_DIR's disk has less free space (0 = no reserve)" },
  { name: "LOG_LEVEL", fallback: "info", meaning: "error, warn, info, debug or silent" },
  { name: "LOG_FORMAT", fallback: "json", meaning: "json (one object per line) or pretty (for a terminal)" },
  { name: "MAX_BODY_BYTES", fallback: "1048576", meaning: "request body limit after decompression, 1024..33554432" },
  { name: "MAX_KEYS_PER_PUT", fallback: "10000", meaning: "most keys one PUT /keys may write" },
  { name: "MAX_LISTINGS", fallback: "32", meaning: "most GET /keys responses streaming at once; beyond, 503 + Retry-After" },
  { name: "REQUEST_TIMEOUT_MS", fallback: "30000", meaning: "the whole request must arrive within this, else 408" },
  { name: "HEADERS_TIMEOUT_MS", fallback: "10000", meaning: "the request headers must arrive within this, else 408" },
  { name: "MAX_CONNECTIONS", fallback: "1000", meaning: "open connections at most; beyond, new ones are closed at once (keep under ulimit -n)" },
  { name: "SWEEP_INTERVAL_SECONDS", fallback: "30", meaning: "pause between purges of expired keys; 0 disables the sweeper" },
  { name: "SWEEP_BATCH_SIZE", fallback: "1000", meaning: "rows per purge batch" },
  { name: "WATCH_MAX_STREAMS", fallback: "500", meaning: "most watch streams open at once; beyond, 503 + Retry-After (each holds a connection: keep under MAX_CONNECTIONS)" },
  { name: "WATCH_HEARTBEAT_SECONDS", fallback: "15", meaning: "a watch stream gets a comment line this often, so proxies keep it open" },
  { name: "WATCH_RETENTION", fallback: "1h", meaning: "how long the change log keeps changes: a duration (90s, 30m, 1h, 7d) or a count (100000 changes); trimmed by the sweeper" },
  { name: "DB_POOL_MAX", fallback: "10", meaning: "PostgreSQL connections per instance" },
  { name: "DB_CONNECT_TIMEOUT_MS", fallback: "5000", meaning: "wait for a PostgreSQL connection before answering 503" },
  { name: "DB_QUERY_TIMEOUT_MS", fallback: "30000", meaning: "a statement running longer is cancelled (503); PGlite silent this long is stopped" },
  { name: "DB_STARTUP_TIMEOUT_SECONDS", fallback: "60", meaning: "how long startup retries an unreachable database" },
  { name: "SHUTDOWN_TIMEOUT_SECONDS", fallback: "10", meaning: "grace period for in-flight requests on SIGTERM/SIGINT" },
  { name: "API_TOKEN", fallback: "", meaning: "when set, /keys needs Authorization: Bearer <token> (16+ printable ASCII characters, no spaces)" },
  { name: "API_TOKENS_FILE", fallback: "", meaning: "a file of accepted tokens, one per line" },
  { name: "METRICS_AUTH", fallback: "open", meaning: "open, or token: /metrics needs a token too" },
];

/** The environment variables as a help text section: name, default, meaning. */
export function environmentHelp(): string {
  const width = Math.max(...ENVIRONMENT.map((variable) => variable.name.length)) + 2;
  const fallbackWidth = Math.max(...ENVIRONMENT.map((variable) => (variable.fallback || "-").length)) + 2;
  return ENVIRONMENT.map(
    (variable) => `  ${variable.name.padEnd(width)}${(variable.fallback || "-").padEnd(fallbackWidth)}${variable.meaning}`,
  ).join("\n");
}

function fallbackOf(name: string): string {
  const variable = ENVIRONMENT.find((candidate) => candidate.name === name);
  if (variable === undefined) throw new Error(`${name} is not in ENVIRONMENT`);
  return variable.fallback;
}

/** The largest MAX_BODY_BYTES accepted: 32 MiB. */
export const MAX_BODY_LIMIT = 32 * 1024 * 1024;

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
  const requestTimeoutMs = integer(env, "REQUEST_TIMEOUT_MS", 1000, 3_600_000);
  const headersTimeoutMs = integer(env, "HEADERS_TIMEOUT_MS", 1000, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`HEADERS_TIMEOUT_MS=${headersTimeoutMs} must not exceed REQUEST_TIMEOUT_MS=${requestTimeoutMs}`);
  }
  const apiTokens = tokensFrom(env);
  const metricsAuth = oneOf(env, "METRICS_AUTH", ["open", "token"] as const, fallbackOf("METRICS_AUTH") as "open") === "token";
  if (metricsAuth && apiTokens.length === 0) throw new ConfigError("METRICS_AUTH=token needs API_TOKEN or API_TOKENS_FILE");
  return {
    port: integer(env, "PORT", 0, 65535),
    host: text(env, "HOST") ?? fallbackOf("HOST"),
    storage,
    databaseUrl,
    dataDir: resolve(text(env, "DATA_DIR") ?? fallbackOf("DATA_DIR")),
    dataDirMinFreeBytes: integer(env, "DATA_DIR_MIN_FREE_MB", 0, 1_048_576) * 1024 * 1024,
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, fallbackOf("LOG_LEVEL") as LogLevel),
    logFormat: oneOf(env, "LOG_FORMAT", LOG_FORMATS, fallbackOf("LOG_FORMAT") as LogFormat),
    // At most 32 MiB: a body is collected into one buffer and decoded into
    // one string, each a copy made in one go (about 0.7 ms per MiB here), so
    // the limit bounds the longest step a body costs the event loop to about
    // 25 ms (bench/body-stall.ts); a value also crosses into PGlite's WASM
    // heap in several copies.
    maxBodyBytes: integer(env, "MAX_BODY_BYTES", 1024, MAX_BODY_LIMIT),
    maxKeysPerPut: integer(env, "MAX_KEYS_PER_PUT", 1, 1_000_000),
    maxListings: integer(env, "MAX_LISTINGS", 1, 100_000),
    requestTimeoutMs,
    headersTimeoutMs,
    maxConnections: integer(env, "MAX_CONNECTIONS", 1, 1_000_000),
    sweepIntervalSeconds: integer(env, "SWEEP_INTERVAL_SECONDS", 0, 86_400),
    sweepBatchSize: integer(env, "SWEEP_BATCH_SIZE", 1, 100_000),
    watchRetention: retention(env, "WATCH_RETENTION"),
    watchMaxStreams: integer(env, "WATCH_MAX_STREAMS", 1, 1_000_000),
    watchHeartbeatSeconds: integer(env, "WATCH_HEARTBEAT_SECONDS", 1, 3600),
    dbPoolMax: integer(env, "DB_POOL_MAX", 1, 1000),
    dbConnectTimeoutMs: integer(env, "DB_CONNECT_TIMEOUT_MS", 100, 600_000),
    dbQueryTimeoutMs: integer(env, "DB_QUERY_TIMEOUT_MS", 100, 600_000),
    dbStartupTimeoutSeconds: integer(env, "DB_STARTUP_TIMEOUT_SECONDS", 0, 86_400),
    shutdownTimeoutSeconds: integer(env, "SHUTDOWN_TIMEOUT_SECONDS", 1, 3600),
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

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as 90s, 30m, 1h or 7d (up to 365 days), or a count such as "100000 changes". */
function retention(env: Readonly<Record<string, string | undefined>>, name: string): Retention {
  const raw = text(env, name) ?? fallbackOf(name);
  const duration = /^([1-9][0-9]{0,5})(s|m|h|d)$/.exec(raw);
  if (duration !== null) {
    const ms = Number(duration[1]) * DURATION_UNITS_MS[duration[2]];
    if (ms <= 365 * DURATION_UNITS_MS.d) return { kind: "duration", ms };
  }
  const count = /^([1-9][0-9]{0,9}) ?changes$/.exec(raw);
  if (count !== null) return { kind: "count", changes: Number(count[1]) };
  throw new ConfigError(`${name}=${raw} must be a duration such as 90s, 30m, 1h or 7d (at most 365d), or a count such as "100000 changes"`);
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

function integer(env: Readonly<Record<string, string | undefined>>, name: string, min: number, max: number): number {
  const value = text(env, name) ?? fallbackOf(name);
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${name}=${value} must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}
