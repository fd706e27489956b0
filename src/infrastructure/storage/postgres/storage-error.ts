import { StorageUnavailableError } from "../../../domain/domain-error";

// Node socket errors raised while connecting to or talking with the server.
const NETWORK_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);
// SQLSTATEs meaning "the server is not there for you right now", not "your statement is wrong":
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections.
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "53300"]);
// The pg driver reports these without a code.
const DRIVER_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error",
  "Connection ended unexpectedly",
  "Query read timeout",
];

/**
 * Turns a driver error that means "PostgreSQL cannot be reached" into a
 * StorageUnavailableError (HTTP 503 + Retry-After); returns anything else
 * unchanged, to surface as a logged 500.
 */
export function classifyStorageError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const unavailable =
    (typeof code === "string" && (NETWORK_ERRORS.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith("08"))) ||
    DRIVER_MESSAGES.some((message) => error.message.includes(message));
  return unavailable ? new StorageUnavailableError("PostgreSQL is unreachable", { cause: error }) : error;
}
