import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ChildService, ServiceExitedError } from "../support/child-service";
import { scrapeValue, waitFor } from "../support/polling";
import { ThrowawayCluster } from "../support/throwaway-cluster";
import { SmallDisk, tmpfsUnavailableReason } from "../support/tmpfs";

const skipReason = tmpfsUnavailableReason();

/** Random base64 text: values that do not compress, so every write takes its size on disk. */
function incompressible(bytes: number): string {
  return JSON.stringify(randomBytes(bytes).toString("base64"));
}

/**
 * Writes 24 KiB values one by one until `stop` says so (or 3,000 writes),
 * recording what was acknowledged, what each status was, and never accepting
 * a 500.
 */
async function writeUntil(base: string, stop: (status: number) => boolean): Promise<{ acknowledged: Map<string, string>; statuses: Map<number, number>; slowest: number }> {
  const acknowledged = new Map<string, string>();
  const statuses = new Map<number, number>();
  let slowest = 0;
  for (let i = 0; i < 3_000; i++) {
    const key = `fill-${i}`;
    const value = incompressible(18_000);
    let status: number;
    const started = performance.now();
    try {
      const response = await fetch(`${base}/keys/${key}`, { method: "PUT", headers: { "content-type": "application/json" }, body: value, signal: AbortSignal.timeout(120_000) });
      status = response.status;
      const body = await response.text();
      if (status === 507) expect(JSON.parse(body)).to.include({ type: "urn:kv:problem:insufficient-storage", status: 507 });
    } catch {
      status = 0; // the connection failed: the server went away
    }
    slowest = Math.max(slowest, performance.now() - started);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status === 201) acknowledged.set(key, value);
    expect(status, "never a 500").to.not.equal(500);
    if (stop(status)) break;
  }
  return { acknowledged, statuses, slowest };
}

async function expectAllPresent(base: string, acknowledged: Map<string, string>): Promise<void> {
  for (const [key, value] of acknowledged) {
    const response = await fetch(`${base}/keys/${key}`);
    expect(response.status, key).to.equal(200);
    expect(await response.text(), key).to.equal(value);
  }
}

async function putStatus(base: string, key: string): Promise<number> {
  return (await fetch(`${base}/keys/${key}`, { method: "PUT", headers: { "content-type": "application/json" }, body: "1" })).status;
}

(skipReason === null ? describe : describe.skip)(`A full disk${skipReason === null ? "" : ` (${skipReason})`}`, function () {
  this.timeout(600_000);

  describe("under PGlite's DATA_DIR", () => {
    let disk: SmallDisk;
    beforeEach(() => {
      disk = SmallDisk.mount(192);
    });
    afterEach(() => disk.unmount());

    it("refuses writes with 507 below the reserve while reads go on, and accepts them again once space is freed, without a restart", async () => {
      const server = await ChildService.start({ DATA_DIR: join(disk.path, "data"), DATA_DIR_MIN_FREE_MB: "64" });
      try {
        const base = server.baseUrl;
        disk.fillLeaving(64 + 24);
        const { acknowledged, statuses } = await writeUntil(base, (status) => status === 507);
        expect(statuses.get(507)).to.equal(1);
        expect(acknowledged.size).to.be.greaterThan(100);
        expect((await fetch(`${base}/readyz`)).status, "reads still work: the instance stays ready").to.equal(200);
        await expectAllPresent(base, acknowledged);
        expect(await scrapeValue(base, 'kv_storage_errors_total{operation="putMany",kind="insufficient_storage"}')).to.be.greaterThan(0);
        expect(await scrapeValue(base, "kv_storage_disk_free_bytes")).to.be.lessThan(await scrapeValue(base, "kv_storage_disk_reserve_bytes"));
        await waitFor(() => Promise.resolve(server.logs.some((log) => log.message === "storage full")), 30_000, "the storage full log line");
        // Deleting is how room is made: it still works.
        expect((await fetch(`${base}/keys/fill-0`, { method: "DELETE" })).status).to.equal(204);
        acknowledged.delete("fill-0");

        disk.freeBallast();
        await waitFor(async () => (await putStatus(base, "after-freeing")) === 201, 30_000, "writes to be accepted again");
        await expectAllPresent(base, acknowledged);
      } finally {
        await server.stop();
      }
    });

    it("without a reserve, a disk that fills gives 507s, or stops a hung engine (exit 70), never a 500 or a hung request; after freeing space every acknowledged write is there", async () => {
      // Which of the two happens depends on what PGlite's PostgreSQL meets the
      // full disk with: a data file it cannot extend is SQLSTATE 53100 (507,
      // and it goes on); a WAL segment it cannot create hangs the engine.
      const dataDir = join(disk.path, "data");
      const first = await ChildService.start({ DATA_DIR: dataDir, DATA_DIR_MIN_FREE_MB: "0", DB_QUERY_TIMEOUT_MS: "3000" });
      disk.fillLeaving(24);
      let refusedInARow = 0;
      const { acknowledged, statuses, slowest } = await writeUntil(first.baseUrl, (status) => {
        refusedInARow = status === 507 ? refusedInARow + 1 : 0;
        return status === 0 || refusedInARow === 20;
      });
      expect(acknowledged.size).to.be.greaterThan(100);
      expect(slowest, "no request waits on a hung engine past the query timeout").to.be.lessThan(3000 + 15_000);
      let second: ChildService;
      if (statuses.has(0)) {
        expect(await first.exit()).to.equal(70);
        expect(statuses.get(0), "the server went away once").to.equal(1);
        const lost = first.logs.find((log) => log.message === "storage lost; exiting");
        expect(lost?.error).to.equal("the embedded database stopped: the embedded database answered nothing for 3000 ms");
        disk.freeBallast();
        second = await ChildService.start({ DATA_DIR: dataDir });
        console.log(`      the engine hung on the full disk and kv exited 70 after ${acknowledged.size} acknowledged writes`);
      } else {
        expect((await fetch(`${first.baseUrl}/readyz`)).status, "reads still work: the instance stays ready").to.equal(200);
        await expectAllPresent(first.baseUrl, acknowledged);
        disk.freeBallast();
        await waitFor(async () => (await putStatus(first.baseUrl, "after-freeing")) === 201, 30_000, "writes to be accepted again");
        await first.stop();
        second = await ChildService.start({ DATA_DIR: dataDir });
        console.log(`      PGlite reported the full disk (53100): 507 after ${acknowledged.size} acknowledged writes; writes resumed once space was freed`);
      }
      try {
        await expectAllPresent(second.baseUrl, acknowledged);
        expect(await putStatus(second.baseUrl, "after-restart")).to.equal(201);
      } finally {
        await second.stop();
      }
    });

    it("a first start on a full disk fails naming the free space and leaves no lock behind; after freeing space it starts at once", async () => {
      const dataDir = join(disk.path, "data");
      disk.fillLeaving(4);
      const failed = await ChildService.start({ DATA_DIR: dataDir }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failed).to.be.instanceOf(ServiceExitedError);
      const startup = (failed as ServiceExitedError).logs.find((log) => log.message === "startup failed");
      expect(startup?.error).to.match(/^the embedded database could not open \(.+\); the disk of .+ has only \d+\.\d MiB free: free some space and start again$/);
      expect(existsSync(join(dataDir, "kv.lock")), "no lock left behind").to.equal(false);
      expect(readdirSync(dataDir).filter((name) => name.startsWith("kv.lock")), "nor a lock's draft").to.deep.equal([]);

      disk.freeBallast();
      const started = performance.now();
      const server = await ChildService.start({ DATA_DIR: dataDir });
      try {
        expect(performance.now() - started, "not held up by a stale lock").to.be.lessThan(60_000);
        expect(await putStatus(server.baseUrl, "k")).to.equal(201);
      } finally {
        await server.stop();
      }
    });
  });

  describe("under PostgreSQL's data files (its WAL on another disk)", () => {
    let disk: SmallDisk;
    let cluster: ThrowawayCluster;
    let server: ChildService;
    before(async () => {
      disk = SmallDisk.mount(160);
      cluster = await ThrowawayCluster.create({ dataOn: disk.path });
      server = await ChildService.start({ STORAGE: "postgres", DATABASE_URL: await cluster.createDatabase("kv_full") });
    });
    after(async () => {
      await server?.stop();
      cluster?.destroy();
      disk?.unmount();
    });

    it("answers SQLSTATE 53100 with 507, not 500; reads go on; writes succeed again once space is freed, without a restart", async () => {
      const base = server.baseUrl;
      disk.fillLeaving(12);
      const { acknowledged, statuses } = await writeUntil(base, (status) => status === 507);
      expect(statuses.get(507)).to.equal(1);
      expect(acknowledged.size).to.be.greaterThan(50);
      await waitFor(() => Promise.resolve(server.logs.some((log) => log.message === "storage full")), 30_000, "the storage full log line");
      const full = server.logs.find((log) => log.message === "storage full");
      // The log carries the database's own words (which file could not grow).
      expect(full).to.deep.include({ level: "warn", error_code: "53100" });
      expect(full?.error).to.match(/No space left on device/);
      await expectAllPresent(base, acknowledged);
      expect((await fetch(`${base}/readyz`)).status).to.equal(200);
      expect(await scrapeValue(base, 'kv_storage_errors_total{operation="putMany",kind="insufficient_storage"}')).to.be.greaterThan(0);

      disk.freeBallast();
      await waitFor(async () => (await putStatus(base, "after-freeing")) === 201, 30_000, "writes to be accepted again");
      await expectAllPresent(base, acknowledged);
    });
  });
});
