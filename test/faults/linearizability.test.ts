import { expect } from "chai";
import { ChildService } from "../support/child-service";
import { nonLinearizableKeys, type HistoryEntry, type Operation } from "../support/linearizability";
import { ThrowawayCluster } from "../support/throwaway-cluster";

const CLIENTS = 10;
const OPERATIONS_PER_CLIENT = 300;
const KEYS = ["a", "b", "c", "d", "e"];
const json = { "content-type": "application/json" };

/** Performs one random operation and describes what it observed. */
async function randomOperation(base: string, key: string, value: string, knownEtag: string | undefined): Promise<Operation> {
  const url = `${base}/keys/${key}`;
  const dice = Math.random();
  if (dice < 0.4) {
    const response = await fetch(url);
    const body = await response.text();
    if (response.status === 404) return { kind: "read", found: null };
    expect(response.status, body).to.equal(200);
    return { kind: "read", found: { value: body, etag: response.headers.get("etag")! } };
  }
  if (dice < 0.65) {
    const response = await fetch(url, { method: "PUT", headers: json, body: value });
    expect(response.status, await response.text()).to.be.oneOf([200, 201]);
    return { kind: "write", value, etag: response.headers.get("etag")!, created: response.status === 201 };
  }
  if (dice < 0.9) {
    const expected = knownEtag ?? '"0"';
    const response = await fetch(url, { method: "PUT", headers: { ...json, "if-match": expected }, body: value });
    expect(response.status, await response.text()).to.be.oneOf([200, 412]);
    return { kind: "cas", expected, value, etag: response.status === 200 ? response.headers.get("etag")! : null };
  }
  const response = await fetch(url, { method: "DELETE" });
  await response.arrayBuffer();
  expect(response.status).to.be.oneOf([204, 404]);
  return { kind: "delete", existed: response.status === 204 };
}

describe("linearizability: concurrent clients on two instances sharing one PostgreSQL", function () {
  this.timeout(180_000);
  let cluster: ThrowawayCluster;
  let servers: ChildService[];

  before(async () => {
    cluster = await ThrowawayCluster.create();
    const url = await cluster.createDatabase("kv_linear");
    servers = [];
    for (let i = 0; i < 2; i++) servers.push(await ChildService.start({ STORAGE: "postgres", DATABASE_URL: url, LOG_LEVEL: "info" }));
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop("SIGTERM")));
    cluster?.destroy();
  });

  it(`finds a single-register order for every key's history (reads, writes, If-Match compare-and-set, deletes; ${CLIENTS * OPERATIONS_PER_CLIENT} operations)`, async () => {
    const history: HistoryEntry[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        const known = new Map<string, string>();
        for (let n = 0; n < OPERATIONS_PER_CLIENT; n++) {
          const key = KEYS[Math.floor(Math.random() * KEYS.length)];
          const base = servers[Math.floor(Math.random() * servers.length)].baseUrl;
          const invokedAt = performance.now();
          const operation = await randomOperation(base, key, `"c${client}-${n}"`, known.get(key));
          history.push({ key, invokedAt, returnedAt: performance.now(), operation });
          const etag = operation.kind === "read" ? operation.found?.etag : operation.kind === "delete" ? undefined : (operation.etag ?? undefined);
          if (etag !== undefined) known.set(key, etag);
        }
      }),
    );
    const kinds = new Map<string, number>();
    for (const entry of history) {
      const label = entry.operation.kind === "cas" ? (entry.operation.etag === null ? "cas-failed" : "cas-won") : entry.operation.kind;
      kinds.set(label, (kinds.get(label) ?? 0) + 1);
    }
    // Both outcomes of a compare-and-set must occur, or the check proves little.
    expect(kinds.get("cas-won") ?? 0).to.be.greaterThan(10);
    expect(kinds.get("cas-failed") ?? 0).to.be.greaterThan(10);
    expect(nonLinearizableKeys(history)).to.deep.equal([]);
    console.log(`      checked ${history.length} operations on ${KEYS.length} keys: ${[...kinds].map(([kind, count]) => `${kind} ${count}`).join(", ")}`);
  });
});
