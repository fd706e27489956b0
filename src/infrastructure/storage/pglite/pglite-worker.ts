import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { serializeError, type PgliteReply, type PgliteRequest, type PgliteWorkerOptions } from "./pglite-worker-protocol";

const EXTENSIONS = { pg_trgm };

/**
 * Worker-thread entry: owns the PGlite engine. PGlite executes each statement
 * synchronously on the thread that calls it; here that blocks this thread,
 * not the one serving HTTP. Requests are answered in arrival order (PGlite
 * has one session and queues them).
 */
async function main(port: NonNullable<typeof parentPort>, options: PgliteWorkerOptions): Promise<void> {
  const reply = (message: PgliteReply) => port.postMessage(message);
  let db: PGlite;
  try {
    if (!holdsDatabase(options.directory)) await initialise(options.directory, options.template);
    db = await PGlite.create(options.directory, { extensions: EXTENSIONS });
  } catch (error) {
    reply({ kind: "failed", error: serializeError(error) });
    return;
  }
  port.on("message", (request: PgliteRequest) => {
    void handle(db, request).then(reply);
  });
  reply({ kind: "ready" });
}

function holdsDatabase(directory: string): boolean {
  return existsSync(join(directory, "PG_VERSION"));
}

/**
 * Creates the database in a sibling directory and renames it into place, so a
 * crash or a full disk during the first start leaves no half-made database
 * that a later start would take for a real one (the caller holds the data
 * directory lock, so no one else is initialising it). Unpacking the prepared
 * template takes about a third of the time initdb does.
 */
async function initialise(directory: string, template: string | null): Promise<void> {
  // An empty directory (made by hand, or by a start that failed early) is replaced; anything else is not ours to delete.
  if (existsSync(directory) && readdirSync(directory).length > 0) {
    throw new Error(`${directory} is not empty but holds no database (no PG_VERSION); move it away or choose another DATA_DIR`);
  }
  const staging = `${directory}.initialising`;
  rmSync(staging, { recursive: true, force: true });
  const fresh = await PGlite.create(staging, {
    extensions: EXTENSIONS,
    ...(template === null ? {} : { loadDataDir: new Blob([readFileSync(template)]) }),
  });
  await fresh.close();
  rmSync(directory, { recursive: true, force: true });
  renameSync(staging, directory);
}

async function handle(db: PGlite, request: PgliteRequest): Promise<PgliteReply> {
  try {
    switch (request.kind) {
      case "query": {
        const result = await db.query(request.text, request.params as unknown[] | undefined);
        return { kind: "result", id: request.id, rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      }
      case "exec":
        await db.exec(request.script);
        return { kind: "result", id: request.id, rows: [], rowCount: 0 };
      case "close":
        await db.close();
        return { kind: "result", id: request.id, rows: [], rowCount: 0 };
    }
  } catch (error) {
    return { kind: "error", id: request.id, error: serializeError(error) };
  }
}

if (parentPort === null) throw new Error("pglite-worker must run in a worker thread");
void main(parentPort, workerData as PgliteWorkerOptions);
