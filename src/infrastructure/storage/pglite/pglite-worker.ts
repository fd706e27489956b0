import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { parentPort, workerData } from "node:worker_threads";
import { serializeError, type PgliteReply, type PgliteRequest, type PgliteWorkerOptions } from "./pglite-worker-protocol";

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
    db = await PGlite.create(options.directory, { extensions: { pg_trgm } });
  } catch (error) {
    reply({ kind: "failed", error: serializeError(error) });
    return;
  }
  port.on("message", (request: PgliteRequest) => {
    void handle(db, request).then(reply);
  });
  reply({ kind: "ready" });
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
