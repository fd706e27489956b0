import { expect } from "chai";
import { Client } from "pg";
import { ChildService } from "../support/child-service";
import { pause, scrapeValue } from "../support/polling";
import { loadMigrations } from "../../src/infrastructure/storage/postgres/migrator";
import { migrationsDirectory } from "../../src/infrastructure/project-files";
import { CITUS_TOOL_SKIP_REASON, citusClusterTool, ThrowawayCitusCluster } from "../support/citus";
import { ThrowawayCluster } from "../support/throwaway-cluster";

const INSTANCES = 3;
const EXPIRING_KEYS = 20_000;
const RACES = 30;
const json = { "content-type": "application/json" };

/** A database of a test's own: its URL, and how to throw it away. */
interface TestDatabase {
  readonly url: string;
  destroy(): Promise<void>;
}

describeInstances("one PostgreSQL", async () => {
  const cluster = await ThrowawayCluster.create();
  return { url: await cluster.createDatabase("kv_multi"), destroy: () => Promise.resolve(cluster.destroy()) };
});

const tool = citusClusterTool();
if (tool === null) {
  describe(`${INSTANCES} instances on one Citus cluster (${CITUS_TOOL_SKIP_REASON})`, () => it.skip(CITUS_TOOL_SKIP_REASON));
} else {
  describeInstances("one Citus cluster (a coordinator and two workers)", async () => {
    const cluster = await ThrowawayCitusCluster.create(tool);
    return { url: cluster.url, destroy: () => cluster.destroy() };
  });
}

function describeInstances(database: string, open: () => Promise<TestDatabase>): void {
  describe(`${INSTANCES} instances on ${database}`, function () {
    this.timeout(180_000);
    let db: TestDatabase | undefined;
    let url: string;
    let servers: ChildService[] = [];
    const base = (i: number) => servers[i % INSTANCES].baseUrl;

    before(async () => {
      db = await open();
      url = db.url;
      // All at once on an empty database: every instance tries to migrate.
      servers = await Promise.all(
        Array.from({ length: INSTANCES }, () => ChildService.start({ STORAGE: "postgres", DATABASE_URL: url, SWEEP_INTERVAL_SECONDS: "1", LOG_LEVEL: "info" })),
      );
    });
    after(async () => {
      await Promise.all(servers.map((server) => server.stop("SIGTERM")));
      await db?.destroy();
    });

    it("migrate once when started simultaneously on an empty database", async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ version: number }>("SELECT version FROM kv_schema_migrations ORDER BY version");
        expect(rows.map((row) => Number(row.version))).to.deep.equal(loadMigrations(migrationsDirectory()).map((migration) => migration.version));
      } finally {
        await client.end();
      }
      for (const server of servers) expect((await fetch(`${server.baseUrl}/readyz`)).status).to.equal(200);
    });

    it("show a write through one instance immediately through the others", async () => {
      for (let i = 0; i < 60; i++) {
        const put = await fetch(`${base(i)}/keys/seen-${i}`, { method: "PUT", headers: json, body: `{"i":${i}}` });
        expect(put.status).to.equal(201);
        for (const other of [i + 1, i + 2]) expect(await (await fetch(`${base(other)}/keys/seen-${i}`)).text()).to.equal(`{"i":${i}}`);
        const removed = await fetch(`${base(i + 1)}/keys/seen-${i}`, { method: "DELETE" });
        expect(removed.status).to.equal(204);
        expect((await fetch(`${base(i + 2)}/keys/seen-${i}`, { method: "HEAD" })).status).to.equal(404);
      }
    });

    it(`let exactly one conditional write win each race between instances (${RACES} If-Match races, ${RACES} creation races)`, async () => {
      for (let race = 0; race < RACES; race++) {
        const created = await fetch(`${base(race)}/keys/race-${race}`, { method: "PUT", headers: json, body: "0" });
        const etag = created.headers.get("etag")!;
        const attempts = await Promise.all(
          servers.map((server, i) => fetch(`${server.baseUrl}/keys/race-${race}`, { method: "PUT", headers: { ...json, "if-match": etag }, body: String(i + 1) })),
        );
        const statuses = attempts.map((response) => response.status).sort();
        expect(statuses).to.deep.equal([200, 412, 412]);
        const winner = attempts.findIndex((response) => response.status === 200);
        expect(await (await fetch(`${base(race + 1)}/keys/race-${race}`)).text()).to.equal(String(winner + 1));

        const creations = await Promise.all(
          servers.map((server, i) => fetch(`${server.baseUrl}/keys/new-${race}`, { method: "PUT", headers: { ...json, "if-none-match": "*" }, body: String(i) })),
        );
        expect(creations.map((response) => response.status).sort()).to.deep.equal([201, 412, 412]);
      }
    });

    it(`share the purge of ${EXPIRING_KEYS} expired keys without purging any twice or failing`, async () => {
      const purgedBefore = await Promise.all(servers.map((server) => scrapeValue(server.baseUrl, "kv_expired_keys_purged_total")));
      for (let start = 0; start < EXPIRING_KEYS; start += 2000) {
        const members = Array.from({ length: 2000 }, (_, i) => `"exp-${start + i}":${i}`);
        const response = await fetch(`${base(start / 2000)}/keys?expire_in=1`, { method: "PUT", headers: json, body: `{${members.join(",")}}` });
        expect(response.status).to.equal(201);
      }
      const purged = async () => {
        const counts = await Promise.all(servers.map((server) => scrapeValue(server.baseUrl, "kv_expired_keys_purged_total")));
        return counts.map((count, i) => count - purgedBefore[i]);
      };
      const deadline = Date.now() + 60_000;
      while ((await purged()).reduce((a, b) => a + b, 0) < EXPIRING_KEYS && Date.now() < deadline) await pause(250);
      // Give a duplicate purge the chance to show up before counting.
      await pause(2500);
      const perInstance = await purged();
      expect(perInstance.reduce((a, b) => a + b, 0), `purged per instance: ${perInstance.join(", ")}`).to.equal(EXPIRING_KEYS);
      for (const server of servers) expect(await scrapeValue(server.baseUrl, 'kv_sweeper_runs_total{result="error"}')).to.equal(0);
    });

    it("logged no warning or error on any instance", () => {
      for (const server of servers) expect(server.logs.filter((log) => log.level === "warn" || log.level === "error")).to.deep.equal([]);
    });
  });
}
