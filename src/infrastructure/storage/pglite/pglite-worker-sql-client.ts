import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { StorageUnavailableError } from "../../../domain/domain-error";
import type { SqlClient, SqlQueryable, SqlResult } from "../postgres/sql-client";
import { classifyStorageError } from "../postgres/storage-error";
import { deserializeError, type PgliteReply, type PgliteRequest, type PgliteWorkerOptions } from "./pglite-worker-protocol";

type Pending = { resolve: (result: SqlResult<unknown>) => void; reject: (error: Error) => void };
type Command = { kind: "query"; text: string; params?: readonly unknown[] } | { kind: "exec"; script: string } | { kind: "close" };

/**
 * SqlClient over PGlite running in a worker thread (pglite-worker.ts).
 * PGlite executes statements synchronously on its calling thread; in the
 * worker, a long statement (a purge batch, a listing chunk) delays other
 * statements but never the HTTP event loop.
 *
 * PGlite has a single session, so a transaction must hold it exclusively:
 * while one is open, other statements wait here, on the main thread, and
 * enter the worker's queue only after its COMMIT or ROLLBACK.
 */
export class PgliteWorkerSqlClient implements SqlClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exclusive: Promise<void> | null = null;
  private stopped: Error | null = null;
  /** When the engine last answered, or was given work while idle (monotonic ms). */
  private lastProgress = performance.now();
  private stallCheck: NodeJS.Timeout | null = null;
  private onCrash: (error: Error) => void = () => {};
  private fence: () => Error | null = () => null;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (reply: PgliteReply) => this.settle(reply));
    // An idle engine does not keep the process alive (the HTTP server does),
    // so a caller that never closes it cannot hang the process; a statement
    // in flight does, so the process never exits waiting for its answer.
    worker.unref();
  }

  /**
   * Starts the worker and opens the database (initdb on an empty directory).
   * `onCrash` is told if the worker dies later; pending statements then fail
   * with StorageUnavailableError.
   */
  static open(options: PgliteWorkerOptions, onCrash: (error: Error) => void): Promise<PgliteWorkerSqlClient> {
    const worker = new Worker(join(__dirname, "pglite-worker.js"), { workerData: options });
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => {
        void worker.terminate();
        reject(error);
      };
      const exited = (code: number) => reject(new Error(`PGlite worker exited with code ${code} while opening the database`));
      worker.once("error", failed);
      worker.once("exit", exited);
      worker.once("message", (reply: PgliteReply) => {
        worker.off("error", failed);
        worker.off("exit", exited);
        if (reply.kind !== "ready") return failed(reply.kind === "failed" ? deserializeError(reply.error) : new Error(`unexpected ${reply.kind}`));
        const client = new PgliteWorkerSqlClient(worker);
        client.onCrash = onCrash;
        worker.on("error", (error) => client.stop(error));
        worker.on("exit", (code) => client.stop(new Error(`PGlite worker exited with code ${code}`)));
        resolve(client);
      });
    });
  }

  /**
   * From now on, an engine that answers nothing for `timeoutMs` while
   * statements wait for it is taken for hung (PGlite stops answering, for
   * one, when its disk fills up): the worker is stopped, waiting statements
   * fail as unavailable and `onCrash` is told. Not during migrations, whose
   * index builds may legitimately take long.
   */
  watchForStalls(timeoutMs: number): void {
    // One periodic check, not a timer per statement: a stall is noticed within a quarter of the timeout after it.
    this.stallCheck = setInterval(() => {
      if (this.pending.size === 0 || performance.now() - this.lastProgress <= timeoutMs) return;
      this.stop(new Error(`the embedded database answered nothing for ${timeoutMs} ms`));
      void this.worker.terminate();
    }, Math.max(50, timeoutMs / 4));
    this.stallCheck.unref();
  }

  /**
   * From now on every statement, before it is sent and before its result is
   * given back, asks `fence` whether this process may still use the files;
   * an error it returns fails the statement instead (a result computed after
   * the right was lost is not acknowledged).
   */
  fenceWith(fence: () => Error | null): void {
    this.fence = fence;
  }

  // Each method checks the gate and sends in one synchronous step (no await
  // in between), so nothing slips in between a transaction's check and BEGIN.
  async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    while (this.exclusive) await this.exclusive;
    return this.send<Row>({ kind: "query", text, params });
  }

  async exec(script: string): Promise<void> {
    while (this.exclusive) await this.exclusive;
    await this.send({ kind: "exec", script });
  }

  async transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let release = () => {};
    this.exclusive = new Promise((resolve) => (release = resolve));
    const tx: SqlQueryable = {
      query: <Row>(text: string, params?: readonly unknown[]) => this.send<Row>({ kind: "query", text, params }),
      exec: async (script: string) => void (await this.send({ kind: "exec", script })),
    };
    try {
      await this.send({ kind: "exec", script: "BEGIN" });
      let result: T;
      try {
        result = await work(tx);
      } catch (error) {
        await this.send({ kind: "exec", script: "ROLLBACK" });
        throw error;
      }
      await this.send({ kind: "exec", script: "COMMIT" });
      return result;
    } finally {
      this.exclusive = null;
      release();
    }
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    while (this.exclusive) await this.exclusive;
    await this.send({ kind: "close" });
    this.stopped = new StorageUnavailableError("the embedded database is closed");
    if (this.stallCheck) clearInterval(this.stallCheck);
    await this.worker.terminate();
  }

  private send<Row>(command: Command): Promise<SqlResult<Row>> {
    if (this.stopped) return Promise.reject(this.stopped);
    const fenced = command.kind === "close" ? null : this.fence();
    if (fenced) return Promise.reject(fenced);
    const id = this.nextId++;
    return new Promise<SqlResult<Row>>((resolve, reject) => {
      const idle = this.pending.size === 0;
      this.pending.set(id, { resolve: resolve as Pending["resolve"], reject });
      if (idle) {
        this.worker.ref();
        this.lastProgress = performance.now();
      }
      this.worker.postMessage({ id, ...command } satisfies PgliteRequest);
    });
  }

  private settle(reply: PgliteReply): void {
    if (reply.kind !== "result" && reply.kind !== "error") return;
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    // Progress: the next statement gets a full stall timeout of its own.
    this.lastProgress = performance.now();
    const fenced = reply.kind === "result" ? this.fence() : null;
    if (fenced) pending.reject(fenced);
    else if (reply.kind === "result") pending.resolve({ rows: reply.rows, rowCount: reply.rowCount });
    else pending.reject(classifyStorageError(deserializeError(reply.error), "PGlite") as Error);
  }

  private stop(cause: Error): void {
    if (this.stopped) return;
    if (this.stallCheck) clearInterval(this.stallCheck);
    this.stopped = new StorageUnavailableError("the embedded database stopped", { cause });
    for (const pending of this.pending.values()) pending.reject(this.stopped);
    this.pending.clear();
    this.onCrash(cause);
  }
}
