import { AsyncLocalStorage } from "node:async_hooks";
import winston from "winston";
import type { LogFormat, LogLevel } from "../config/config";

export type Logger = winston.Logger;

type Fields = Readonly<Record<string, unknown>>;

const context = new AsyncLocalStorage<Fields>();

/**
 * Runs `fn` with `fields` attached to every log line written inside it,
 * however deep the call: the HTTP layer runs each request in one, so an error
 * logged anywhere while serving a request carries its request_id.
 */
export function withLogContext<T>(fields: Fields, fn: () => T): T {
  return context.run(fields, fn);
}

/** Adds the current log context's fields to a record (fields given explicitly win). */
export const contextFields = winston.format((info) => {
  const fields = context.getStore();
  if (fields) for (const [name, value] of Object.entries(fields)) if (info[name] === undefined) info[name] = value;
  return info;
});

/**
 * One line per event on stdout. `json` (the default, for log pipelines):
 * `timestamp`, `level`, `message`, then the event's own snake_case fields.
 * `pretty` (for a terminal): time, level, message, then name=value pairs and
 * an error's stack on the lines below. Errors are logged with their `stack`.
 * Values are never logged, keys neither.
 */
export function createLogger(level: LogLevel, format: LogFormat = "json"): Logger {
  return winston.createLogger({
    level: level === "silent" ? "error" : level,
    silent: level === "silent",
    format: winston.format.combine(contextFields(), winston.format.timestamp(), format === "json" ? jsonLine : prettyLine),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
}

const jsonLine = winston.format.printf(({ timestamp, level, message, ...fields }) => JSON.stringify({ timestamp, level, message, ...fields }));

const prettyLine = winston.format.printf(({ timestamp, level, message, stack, ...fields }) => {
  const time = String(timestamp).slice(11, 23);
  const pairs = Object.entries(fields).map(([name, value]) => `${name}=${typeof value === "string" && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`);
  const line = [time, level.toUpperCase().padEnd(5), String(message), ...pairs].join(" ");
  return typeof stack === "string" ? `${line}\n${stack}` : line;
});

/** The loggable shape of an error: message, stack and code, never request data. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const code = (error as { code?: unknown }).code;
  return { error: error.message, error_name: error.name, ...(code === undefined ? {} : { error_code: code }), stack: error.stack };
}
