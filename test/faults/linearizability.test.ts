import { expect } from "chai";
import { ChildService } from "../support/child-service";
import { nonLinearizableKeys, type HistoryEntry, type Operation } from "../support/linearizability";
import { pause, waitFor } from "../support/polling";
import { CITUS_TOOL_SKIP_REASON, citusClusterTool, ThrowawayCitusCluster } from "../support/citus";
import { ThrowawayCluster } from "../support/throwaway-cluster";

const CLIENTS = 10;
const OPERATIONS_PER_CLIENT = 300;
const KEYS = ["a", "b", "c", "d", "e"];
const json = { "content-type": "application/json" };

/** What one request observed, or null when its outcome is unknown (no response, or a 5xx). */
async function observe(url: string, init: RequestInit, accept: number[]): Promise<{ status: number; etag: string | null; body: string } | null> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch {
    return null; // the connection broke: the request may or may not have been applied
  }
  const body = await response.text();
  if (response.status >= 500) return null;
  expect(accept, `${init.method ?? "GET"} ${url} -> ${response.status} ${body}`).to.include(response.status);
  return { status: response.status, etag: response.headers.get("etag"), body };
}

/** Performs one random operation; returns what it observed, or its unknown-outcome form (reads with no answer: null). */
async function randomOperation(base: string, key: string, value: string, knownEtag: string | undefined): Promise<{ operation: Operation; known: boolean } | null> {
  const url = `${base}/keys/${key}`;
  const dice = Math.random();
  if (dice < 0.4) {
    const seen = await observe(url, {}, [200, 404]);
    if (seen === null) return null;
    return { operation: { kind: "read", found: seen.status === 404 ? null : { value: seen.body, etag: seen.etag! } }, known: true };
  }
  if (dice < 0.65) {
    const seen = await observe(url, { method: "PUT", headers: json, body: value }, [200, 201]);
    if (seen === null) return { operation: { kind: "write?", value }, known: false };
    return { operation: { kind: "write", value, etag: seen.etag!, created: seen.status === 201 }, known: true };
  }
  if (dice < 0.9) {
    const expected = knownEtag ?? '"0"';
    const seen = await observe(url, { method: "PUT", headers: { ...json, "if-match": expected }, body: value }, [200, 412]);
    if (seen === null) return { operation: { kind: "cas?", expected, value }, known: false };
    return { operation: { kind: "cas", expected, value, etag: seen.status === 200 ? seen.etag! : null }, known: true };
  }
  const seen = await observe(url, { method: "DELETE" }, [204, 404]);
  if (seen === null) return { operation: { kind: "delete?" }, known: false };
  return { operation: { kind: "delete", existed: seen.status === 204 }, known: true };
}

async function isReady(base: string): Promise<boolean> {
  try {
    const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false; // not answering yet counts as not ready
  }
}

/** Concurrent clients, each on random keys through random instances; returns the history. */
async function runClients(servers: ChildService[], operationsPerClient: number): Promise<HistoryEntry[]> {
  const history: HistoryEntry[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const known = new Map<string, string>();
      for (let n = 0; n < operationsPerClient; n++) {
        const key = KEYS[Math.floor(Math.random() * KEYS.length)];
        const base = servers[Math.floor(Math.random() * servers.length)].baseUrl;
        const invokedAt = performance.now();
        const result = await randomOperation(base, key, `"c${client}-${n}"`, known.get(key));
        if (result === null || !result.known) {
          if (result !== null) history.push({ key, invokedAt, returnedAt: Infinity, operation: result.operation });
          // The storage is down: back off until the instance is ready again, as
          // a client behind a health-checking balancer would. This also keeps
          // the unknown outcomes to about one per client, which keeps the
          // search across the crash small.
          await waitFor(() => isReady(base), 60_000, `${base} ready again`);
          continue;
        }
        const operation = result.operation;
        history.push({ key, invokedAt, returnedAt: performance.now(), operation });
        const etag = operation.kind === "read" ? operation.found?.etag : operation.kind === "write" || operation.kind === "cas" ? (operation.etag ?? undefined) : undefined;
        if (etag !== undefined) known.set(key, etag);
      }
    }),
  );
  return history;
}

function describeHistory(history: readonly HistoryEntry[]): string {
  const kinds = new Map<string, number>();
  for (const entry of history) {
    const label = entry.operation.kind === "cas" ? (entry.operation.etag === null ? "cas-refused" : "cas-won") : entry.operation.kind;
    kinds.set(label, (kinds.get(label) ?? 0) + 1);
  }
  return [...kinds].map(([kind, count]) => `${kind} ${count}`).join(", ");
}

/** A database of a test's own: its URL, a crash and restart of it (or of its coordinator), and how to throw it away. */
interface CrashableDatabase {
  readonly url: string;
  crashAndRestart(downMs: number): Promise<void>;
  destroy(): Promise<void>;
}

describeLinearizability("one PostgreSQL", "PostgreSQL crashes (pg_ctl stop -m immediate)", async () => {
  const cluster = await ThrowawayCluster.create();
  return {
    url: await cluster.createDatabase("kv_linear"),
    crashAndRestart: async (downMs) => {
      await cluster.stop("immediate");
      await pause(downMs);
      await cluster.start();
    },
    destroy: () => Promise.resolve(cluster.destroy()),
  };
});

const tool = citusClusterTool();
if (tool === null) {
  describe(`linearizability on a Citus cluster (${CITUS_TOOL_SKIP_REASON})`, () => it.skip(CITUS_TOOL_SKIP_REASON));
} else {
  describeLinearizability("one Citus cluster", "the Citus coordinator crashes (SIGKILL)", async () => {
    const cluster = await ThrowawayCitusCluster.create(tool);
    return {
      url: cluster.url,
      crashAndRestart: async (downMs) => {
        await cluster.node("coordinator", "kill");
        await pause(downMs);
        await cluster.node("coordinator", "start");
      },
      destroy: () => cluster.destroy(),
    };
  });
}

function describeLinearizability(database: string, crash: string, open: () => Promise<CrashableDatabase>): void {
  describe(`linearizability: concurrent clients on two instances sharing ${database}`, function () {
    this.timeout(240_000);
    let db: CrashableDatabase | undefined;
    let servers: ChildService[] = [];

    before(async () => {
      db = await open();
      const url = db.url;
      servers = [];
      for (let i = 0; i < 2; i++) servers.push(await ChildService.start({ STORAGE: "postgres", DATABASE_URL: url, LOG_LEVEL: "info", DB_CONNECT_TIMEOUT_MS: "1000" }));
    });
    after(async () => {
      await Promise.all(servers.map((server) => server.stop("SIGTERM")));
      await db?.destroy();
    });

    it(`finds a single-register order for every key's history (reads, writes, If-Match compare-and-set, deletes; ${CLIENTS * OPERATIONS_PER_CLIENT} operations)`, async () => {
      const history = await runClients(servers, OPERATIONS_PER_CLIENT);
      const won = history.filter((entry) => entry.operation.kind === "cas" && entry.operation.etag !== null).length;
      const refused = history.filter((entry) => entry.operation.kind === "cas" && entry.operation.etag === null).length;
      // Both outcomes of a compare-and-set must occur, or the check proves little.
      expect(won).to.be.greaterThan(10);
      expect(refused).to.be.greaterThan(10);
      expect(nonLinearizableKeys(history)).to.deep.equal([]);
      console.log(`      checked ${history.length} operations on ${KEYS.length} keys: ${describeHistory(history)}`);
    });

    it(`still finds one while ${crash} and restarts mid-history; unanswered writes may or may not have happened`, async () => {
      // Every key's history starts from an absent register.
      expect((await fetch(`${servers[0].baseUrl}/keys`, { method: "DELETE" })).status).to.equal(204);
      const clients = runClients(servers, OPERATIONS_PER_CLIENT / 2);
      await pause(800);
      await db!.crashAndRestart(700);
      const history = await clients;
      await waitFor(async () => (await fetch(`${servers[0].baseUrl}/readyz`)).status === 200, 15_000, "ready after the restart");
      const unknown = history.filter((entry) => entry.returnedAt === Infinity).length;
      expect(unknown, "operations whose outcome the crash made unknown").to.be.greaterThan(0);
      expect(nonLinearizableKeys(history)).to.deep.equal([]);
      console.log(`      checked ${history.length} operations across a database crash (${unknown} with unknown outcome): ${describeHistory(history)}`);
    });
  });
}
