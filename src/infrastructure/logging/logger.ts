import winston from "winston";
import type { LogFormat, LogLevel } from "../config/config";
import { StdoutTransport } from "./stdout-transport";

export type Logger = winston.Logger;

/**
 * One line per event on stdout. `json` (the default, for log pipelines):
 * `timestamp`, `level`, `message`, then the event's own snake_case fields.
 * `pretty` (for a terminal): time, level, message, then name=value pairs and
 * an error's stack on the lines below. Errors are logged with their `stack`
 * (an Error in the `error` field is expanded to them).
 * Lines logged on behalf of a request carry its `request_id`, passed by the
 * caller (an AsyncLocalStorage context would add it implicitly, but on
 * Node 20 its promise hooks cost a fifth of the throughput).
 * Values are never logged, keys neither.
 */
export function createLogger(level: LogLevel, format: LogFormat = "json"): Logger {
  return winston.createLogger({
    level: level === "silent" ? "error" : level,
    silent: level === "silent",
    format: winston.format.combine(winston.format.timestamp(), expandError(), format === "json" ? jsonLine : prettyLine),
    transports: [new StdoutTransport()],
  });
}

/** An Error passed as the `error` field is written as errorFields(error); the HTTP adapter logs errors that way. */
export const expandError = winston.format((info) => {
  const { error } = info as { error?: unknown };
  if (!(error instanceof Error)) return info;
  delete (info as { error?: unknown }).error;
  return Object.assign(info, errorFields(error));
});

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
