import winston from "winston";
import type { LogLevel } from "../config/config";

export type Logger = winston.Logger;

/**
 * One JSON object per line on stdout: `timestamp`, `level`, `message`, then
 * the event's own fields (snake_case). Errors are logged as `error` with
 * their `stack`. Values are never logged, keys neither.
 */
export function createLogger(level: LogLevel): Logger {
  return winston.createLogger({
    level: level === "silent" ? "error" : level,
    silent: level === "silent",
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf(({ timestamp, level, message, ...fields }) => JSON.stringify({ timestamp, level, message, ...fields })),
    ),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
}

/** The loggable shape of an error: message, stack and code, never request data. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const code = (error as { code?: unknown }).code;
  return { error: error.message, error_name: error.name, ...(code === undefined ? {} : { error_code: code }), stack: error.stack };
}
