export type LogLevel = "error" | "warn" | "info" | "debug";

/** A log line's own fields, snake_case. An `error` field holding an Error is written as its message, name, code and stack. */
export type LogFields = Readonly<Record<string, unknown>>;

/** What the HTTP adapter needs of a logger; the service's winston logger is one. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): unknown;
  error(message: string, fields?: LogFields): unknown;
  warn(message: string, fields?: LogFields): unknown;
  info(message: string, fields?: LogFields): unknown;
  debug(message: string, fields?: LogFields): unknown;
}
