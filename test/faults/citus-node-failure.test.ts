import { expect } from "chai";
import { ChildService } from "../support/child-service";
import { CITUS_TOOL_SKIP_REASON, citusClusterTool, ThrowawayCitusCluster } from "../support/citus";
import { pause, waitFor } from "../support/polling";
import { withClient } from "../support/postgres";
import { WriteLoad } from "../support/write-load";

const QUERY_TIMEOUT_MS = 3000;
const json = { "content-type": "application/json" };

/** What a request got, and how long it took. */
async function timed(url: string, init: RequestInit = {}): Promise<{ status: number; ms: number; type: string | null; retryAfter: string | null; body: string }> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const body = await response.text();
  return { status: response.status, ms: performance.now() - started, type: response.headers.get("content-type"), retryAfter: response.headers.get("retry-after"), body };
}

/**
 * Completes two-phase commits that a crash interrupted, as Citus's own
 * recovery does every citus.recover_2pc_interval (1 minute by default): a
 * write acknowledged just before a node died may be prepared but not yet
 * committed on a worker until then.
 */
async function recoverPreparedTransactions(url: string): Promise<void> {
  await withClient(url, (client) => client.query("SELECT recover_prepared_transactions()"));
}

/** The port of the worker that holds each key's shard. */
async function workerPortsOf(url: string, keys: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await withClient(url, (client) =>
    client.query<{ key: string; port: number }>(
      `SELECT k AS key, s.nodeport AS port FROM unnest($1::text[]) AS k
         JOIN citus_shards AS s ON s.shardid = get_shard_id_for_distribution_column('kv_entries', k)`,
      [keys],
    ),
  );
  return new Map(rows.map((row) => [row.key, Number(row.port)]));
}

const tool = citusClusterTool();

if (tool === null) {
  describe(`Citus nodes killed under write load (${CITUS_TOOL_SKIP_REASON})`, () => it.skip(CITUS_TOOL_SKIP_REASON));
} else {
  describe("Citus nodes killed under write load (a coordinator and two workers)", function () {
    this.timeout(300_000);
    let cluster: ThrowawayCitusCluster | undefined;
    let server: ChildService | undefined;

    before(async () => {
      cluster = await ThrowawayCitusCluster.create(tool);
      server = await ChildService.start({ STORAGE: "postgres", DATABASE_URL: cluster.url, DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), LOG_LEVEL: "info" });
    });
    after(async () => {
      await server?.stop("SIGTERM");
      await cluster?.destroy();
    });

    it("a worker killed: its keys answer 503 + Retry-After within the query timeout, the other worker's keys are served, /readyz names it; after its restart every acknowledged write is there, exactly, and no multi-key write half-applied", async () => {
      const base = server!.baseUrl;
      const probes = Array.from({ length: 40 }, (_, i) => `probe-${i}`);
      const ports = await workerPortsOf(cluster!.url, probes);
      const [deadPort, livePort] = cluster!.workerPorts;
      const onDead = probes.filter((key) => ports.get(key) === deadPort);
      const onLive = probes.filter((key) => ports.get(key) === livePort);
      expect(onDead).to.not.be.empty;
      expect(onLive).to.not.be.empty;
      for (const key of probes) expect((await timed(`${base}/keys/${key}`, { method: "PUT", headers: json, body: '"before"' })).status).to.equal(201);

      const load = new WriteLoad("load/");
      load.start(() => base, 4);
      await pause(1000);
      await cluster!.node(1, "kill");
      const outcomes: string[] = [];
      try {
        for (let round = 0; round < 5; round++) {
          const dead = await timed(`${base}/keys/${onDead[round % onDead.length]}`);
          expect(dead.status, dead.body).to.equal(503);
          expect(dead.type).to.equal("application/problem+json");
          expect(dead.retryAfter).to.match(/^\d+$/);
          expect(dead.body).to.include(`127.0.0.1:${deadPort}`);
          expect(dead.ms).to.be.below(QUERY_TIMEOUT_MS + 2000);
          const read = await timed(`${base}/keys/${onLive[round % onLive.length]}`);
          const write = await timed(`${base}/keys/${onLive[round % onLive.length]}`, { method: "PUT", headers: json, body: `"during ${round}"` });
          const both = await timed(`${base}/keys`, { method: "PUT", headers: json, body: JSON.stringify({ [onDead[0]]: round, [onLive[0]]: round }) });
          outcomes.push(`dead-worker GET ${dead.status} in ${dead.ms.toFixed(0)} ms; live-worker GET ${read.status}, PUT ${write.status}; PUT /keys across both ${both.status}`);
          expect(read.status, read.body).to.equal(200);
          expect(write.status, write.body).to.equal(200);
          expect(both.status, both.body).to.equal(503);
          await pause(200);
        }
        const ready = await timed(`${base}/readyz`);
        expect(ready.status).to.equal(503);
        expect(ready.body).to.include(`127.0.0.1:${deadPort}`);
      } finally {
        await cluster!.node(1, "start");
      }
      await waitFor(async () => (await timed(`${base}/readyz`)).status === 200, 60_000, "ready once the worker is back");
      await pause(1000);
      await load.stop();
      await recoverPreparedTransactions(cluster!.url);
      const listing = await timed(`${base}/keys`);
      expect(listing.status).to.equal(200);
      load.verify(listing.body);
      // A multi-key write refused while the worker was down left both keys as they were.
      expect((await timed(`${base}/keys/${onDead[0]}`)).body).to.equal('"before"');
      expect((await timed(`${base}/keys/${onLive[0]}`)).body).to.match(/^"(before|during \d)"$/);
      const unexpected = server!.logs.filter((log) => log.level === "error");
      expect(unexpected, JSON.stringify(unexpected.slice(0, 3))).to.deep.equal([]);
      expect(load.statuses.has(500), "no 500 under the outage").to.equal(false);
      console.log(`      ${outcomes[0]}`);
      console.log(`      load: ${load.sent} writes sent, ${load.acknowledged} acknowledged; statuses ${JSON.stringify(Object.fromEntries(load.statuses))}`);
    });

    it("the coordinator killed and restarted: kv answers 503 meanwhile and heals without a restart; every acknowledged write is there", async () => {
      const base = server!.baseUrl;
      const pid = server!.pid;
      const load = new WriteLoad("coordinator/");
      load.start(() => base, 4);
      await pause(1000);
      await cluster!.node("coordinator", "kill");
      const during = await timed(`${base}/keys/probe-0`);
      expect(during.status).to.equal(503);
      expect(during.retryAfter).to.match(/^\d+$/);
      expect((await timed(`${base}/readyz`)).status).to.equal(503);
      await pause(1000);
      await cluster!.node("coordinator", "start");
      await waitFor(async () => (await timed(`${base}/readyz`)).status === 200, 60_000, "ready once the coordinator is back");
      await pause(1000);
      await load.stop();
      await recoverPreparedTransactions(cluster!.url);
      expect(server!.pid).to.equal(pid);
      const listing = await timed(`${base}/keys`);
      expect(listing.status).to.equal(200);
      load.verify(listing.body);
      console.log(`      load: ${load.sent} writes sent, ${load.acknowledged} acknowledged; statuses ${JSON.stringify(Object.fromEntries(load.statuses))}`);
    });
  });
}
