import { InsufficientStorageError, StorageUnavailableError } from "../../../domain/domain-error";

// Node socket errors raised while connecting to or talking with the server.
const NETWORK_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);
// SQLSTATEs meaning "the server is not there for you right now", not "your statement is wrong":
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now.
const SHUTDOWN_STATES = new Set(["57P01", "57P02", "57P03"]);
// Class 53, insufficient resources, apart from 53100 disk_full (a write that
// cannot be stored, 507): the server is alive but has no room for more work now.
const RESOURCE_STATES: Readonly<Record<string, string>> = {
  "53000": "is short of resources",
  "53200": "is out of memory",
  "53300": "has no free connection slots",
  "53400": "reached a configured limit",
};
// The pg driver reports these without a code.
const DRIVER_MESSAGES = [
  "Connection terminated",
  "Client has encountered a connection error",
  "Connection ended unexpectedly",
  "Query read timeout",
];
// pg-pool's answer when every connection stayed busy for connectionTimeoutMillis
// (a new connection that cannot be made says "Connection terminated due to connection timeout").
const POOL_WAIT_TIMEOUT = "timeout exceeded when trying to connect";
// Citus, when a worker node does not answer: the coordinator is there, one node
// behind it is not, and only the keys on that node's shards fail. Each of
// these is raised before the distributed transaction commits, so it aborts
// on every node: nothing of the statement was committed.
const REMOTE_NODE = [
  /connection to the remote node (?:[^@\s]+@)?(\S+?) failed/,
  /connection establishment for node (\S+) failed/,
  /failure on connection marked as essential: (\S+)/,
  /failed to prepare transaction '[^']*' on host (\S+)/,
  // Several rows are sent to their shards by COPY (and a worker's own error
  // there, say a full disk, reads the same: a one-row retry names it).
  /failed to COPY to shard \d+ on (\S+)/,
  /failed to complete COPY on (\S+)/,
  /cannot connect to (\S+) to fetch intermediate results/,
];
// The same, when the worker's connection broke mid-statement and Citus passes
// on libpq's own words (XX000), which do not name the node.
const REMOTE_CONNECTION_LOST = ["SSL SYSCALL error: EOF detected", "server closed the connection unexpectedly"];
// SQLSTATE 57014: the server cancelled the statement at statement_timeout; nothing of it was committed.
const STATEMENT_TIMEOUT = "57014";

/**
 * Maps an error of the SQL engine (a PostgreSQL server through `pg`, or
 * PGlite, named by `engine`) to the domain's storage errors:
 * InsufficientStorageError (HTTP 507) when the disk is full,
 * StorageUnavailableError (503 + Retry-After) when the engine cannot serve
 * now — unreachable, shut down, out of memory or connections, overloaded,
 * a statement over its time limit. Returns anything else unchanged, to
 * surface as a logged 500.
 */
export function classifyStorageError(error: unknown, engine = "PostgreSQL"): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  // ENOSPC: PGlite's own file writes (the engine reports 53100 for most, not all).
  if (code === "53100" || code === "ENOSPC") {
    return new InsufficientStorageError(`${engine} has no disk space left for this write; nothing of it was stored`, { cause: error });
  }
  if (typeof code === "string" && code in RESOURCE_STATES) {
    return new StorageUnavailableError(`${engine} ${RESOURCE_STATES[code]}`, { cause: error, reason: "overloaded" });
  }
  if (code === STATEMENT_TIMEOUT) {
    return new StorageUnavailableError(`${engine} did not finish the statement in time and cancelled it; nothing of it was committed`, {
      cause: error,
      reason: "overloaded",
    });
  }
  if (error.message.includes(POOL_WAIT_TIMEOUT)) {
    return new StorageUnavailableError("every database connection stayed busy: the service is overloaded", { cause: error, reason: "overloaded" });
  }
  const node = REMOTE_NODE.map((pattern) => pattern.exec(error.message)?.[1]).find((match) => match !== undefined);
  if (node !== undefined) {
    return new StorageUnavailableError(`the database node ${node} is unreachable (the keys on its shards cannot be served now)`, { cause: error, reason: "unreachable", partial: true });
  }
  if (code === "XX000" && REMOTE_CONNECTION_LOST.some((words) => error.message.includes(words))) {
    return new StorageUnavailableError("a database node behind the coordinator stopped answering (the keys on its shards cannot be served now)", { cause: error, reason: "unreachable", partial: true });
  }
  const unreachable =
    (typeof code === "string" && (NETWORK_ERRORS.has(code) || SHUTDOWN_STATES.has(code) || code.startsWith("08"))) ||
    DRIVER_MESSAGES.some((message) => error.message.includes(message));
  return unreachable ? new StorageUnavailableError(`${engine} is unreachable`, { cause: error, reason: "unreachable" }) : error;
}
