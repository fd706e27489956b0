import { existsSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";

/** Messages between PgliteWorkerSqlClient (main thread) and pglite-worker (its thread), and the data directory's layout they share. */

/** A file beside a data directory that exists only while the worker creates the database in it. */
export function initialisingMarker(directory: string): string {
  return `${directory}.initialising`;
}

/** Whether the directory holds a complete database (one whose creation finished). */
export function holdsDatabase(directory: string): boolean {
  return existsSync(join(directory, "PG_VERSION")) && !existsSync(initialisingMarker(directory));
}

export interface PgliteWorkerOptions {
  /** The PGlite data directory. */
  readonly directory: string;
  /**
   * When the directory holds no database yet: a gzipped tar of a freshly
   * initialised data directory (PGlite's dumpDataDir) to start from, or null
   * to run initdb. See pglite-template.ts.
   */
  readonly template: string | null;
}

export type PgliteRequest =
  | { readonly id: number; readonly kind: "query"; readonly text: string; readonly params?: readonly unknown[] }
  | { readonly id: number; readonly kind: "exec"; readonly script: string }
  | { readonly id: number; readonly kind: "close" };

/** An error as it crosses the thread boundary: structured clone keeps neither class nor `code`. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly detail?: string;
}

export type PgliteReply =
  | { readonly kind: "ready" }
  | { readonly kind: "failed"; readonly error: SerializedError }
  | { readonly kind: "result"; readonly id: number; readonly rows: unknown[]; readonly rowCount: number }
  | { readonly kind: "error"; readonly id: number; readonly error: SerializedError };

/**
 * Emscripten's file-system errors (PGlite's `ErrnoError`, not an Error) carry
 * only a WASI errno: the ones a data directory meets, by name.
 */
const WASI_ERRNOS: Readonly<Record<number, string>> = {
  2: "EACCES",
  19: "EDQUOT",
  29: "EIO",
  44: "ENOENT",
  51: "ENOSPC",
  63: "EPERM",
  69: "EROFS",
};

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) {
    const errno = (error as { errno?: unknown } | null)?.errno;
    if (typeof errno === "number") {
      const code = WASI_ERRNOS[errno];
      const what = code === "ENOSPC" ? "no space left on device" : code === undefined ? `errno ${errno}` : code;
      return { name: "FileSystemError", message: `the embedded database's file system failed: ${what}`, ...(code === undefined ? {} : { code }) };
    }
    return { name: "Error", message: inspect(error, { depth: 2, breakLength: Infinity }) };
  }
  const { code, detail } = error as { code?: unknown; detail?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
    ...(typeof detail === "string" ? { detail } : {}),
  };
}

export function deserializeError(serialized: SerializedError): Error {
  const error = new Error(serialized.message) as Error & { code?: string; detail?: string };
  error.name = serialized.name;
  if (serialized.code !== undefined) error.code = serialized.code;
  if (serialized.detail !== undefined) error.detail = serialized.detail;
  return error;
}
