import { expect } from "chai";
import { sampleValue, waitFor } from "../support/polling";
import { startTestService, type TestService } from "../support/test-service";
import { temporaryDirectory, testConfig } from "../support/test-storage";

/**
 * PGlite has no statistics collector and no autovacuum: kv maintains its
 * table itself, so the planner and kv_keys see the table as it is.
 */
describe("PGlite table statistics (kv_keys above the exact-count limit)", () => {
  const directory = temporaryDirectory();
  let t: TestService;
  before(async () => {
    t = await startTestService({}, testConfig({ STORAGE: "pglite", DATA_DIR: directory.path }));
  });
  after(async () => {
    await t?.stop();
    directory.remove();
  });

  const keys = async () => sampleValue((await t.api.get("/metrics")).text, "kv_keys");
  const near = (value: number, target: number) => Math.abs(value - target) <= target * 0.02;

  async function putKeys(from: number, count: number): Promise<void> {
    for (let start = from; start < from + count; start += 1_000) {
      const body = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`key-${String(start + i).padStart(6, "0")}`, start + i]));
      expect((await t.api.put("/keys", body)).status).to.equal(201);
    }
  }

  it("reports about 15,000 keys after 15,000 writes, and about 12,000 after 3,000 of them are deleted (not the exact-count cap of 10,001)", async () => {
    await putKeys(0, 15_000);
    await waitFor(async () => near(await keys(), 15_000), 120_000, "kv_keys near 15,000");
    for (const thousand of ["000", "001", "002"]) expect((await t.api.delete(`/keys?filter=key-${thousand}$`)).status).to.equal(204);
    await waitFor(async () => near(await keys(), 12_000), 120_000, "kv_keys near 12,000");
  });

  it("still reports about 12,000 after a restart (PGlite keeps no activity statistics across one)", async () => {
    await t.stop();
    t = await startTestService({}, testConfig({ STORAGE: "pglite", DATA_DIR: directory.path }));
    await waitFor(async () => near(await keys(), 12_000), 120_000, "kv_keys near 12,000");
  });
});
