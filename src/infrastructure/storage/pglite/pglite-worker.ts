import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { holdsDatabase, initialisingMarker, serializeError, type PgliteReply, type PgliteRequest, type PgliteWorkerOptions } from "./pglite-worker-protocol";

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
    db = await open(options.directory, options.template);
  } catch (error) {
    reply({ kind: "failed", error: serializeError(error) });
    return;
  }
  port.on("message", (request: PgliteRequest) => {
    void handle(db, request).then(reply);
  });
  reply({ kind: "ready" });
}

/**
 * Opens the database, creating it first when the directory holds none. A
 * marker file beside the directory exists while it is being created, so a
 * crash or a full disk during the first start leaves nothing that a later
 * start would take for a real database: it finds the marker and starts over
 * (the caller holds the data directory lock, so no one else is creating it).
 * Unpacking the prepared template takes about half the time initdb does.
 */
async function open(directory: string, template: string | null): Promise<PGlite> {
  const marker = initialisingMarker(directory);
  if (holdsDatabase(directory)) {
    return PGlite.create(directory, { extensions: EXTENSIONS });
  } else if (existsSync(marker)) {
    rmSync(directory, { recursive: true, force: true });
  } else if (existsSync(directory) && readdirSync(directory).length > 0) {
    // An empty directory (made by hand) is fine; anything else is not ours to overwrite.
    throw new Error(`${directory} is not empty but holds no database (no PG_VERSION); move it away or choose another DATA_DIR`);
  }
  rmSync(marker, { recursive: true, force: true });
  writeFileSync(marker, "the embedded database beside this file is being created; if this file remains, that did not finish\n");
  const db = await PGlite.create(directory, {
    extensions: EXTENSIONS,
    ...(template === null ? {} : { loadDataDir: new Blob([readFileSync(template)]) }),
  });
  rmSync(marker);
  return db;
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
