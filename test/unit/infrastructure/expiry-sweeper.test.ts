import { expect } from "chai";
import sinon from "sinon";
import { PurgeExpiredKeys } from "../../../src/application/purge-expired-keys";
import { TrimChanges } from "../../../src/application/trim-changes";
import { Metrics } from "../../../src/infrastructure/metrics/metrics";
import { InMemoryKeyValueRepository } from "../../../src/infrastructure/storage/memory/in-memory-key-value-repository";
import { ExpirySweeper } from "../../../src/infrastructure/sweeper/expiry-sweeper";
import { captureLogger } from "../../support/capture-logger";
import { FakeClock } from "../../support/fake-clock";

describe("ExpirySweeper", () => {
  let clock: FakeClock;
  let repository: InMemoryKeyValueRepository;
  let metrics: Metrics;
  let logs: ReturnType<typeof captureLogger>;
  let sweeper: ExpirySweeper;

  beforeEach(async () => {
    clock = new FakeClock();
    repository = new InMemoryKeyValueRepository();
    metrics = new Metrics({ version: "test", storage: "memory" });
    logs = captureLogger();
    sweeper = new ExpirySweeper(
      new PurgeExpiredKeys(repository, clock),
      { intervalMs: 1000, batchSize: 2, maxBatches: 2 },
      clock,
      metrics,
      logs.logger,
    );
    await repository.putMany(
      Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: "0" })),
      clock.now() + 10,
      clock.now(),
    );
  });
  afterEach(() => sinon.restore());

  const metricValue = async (name: string, labels: Record<string, string> = {}) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values.find((value) =>
      Object.entries(labels).every(([label, wanted]) => value.labels[label] === wanted),
    )?.value;

  it("purges expired keys, counts them and logs the run", async () => {
    clock.advance(10);
    expect(await sweeper.runOnce()).to.equal(true); // 4 of 5 removed: the batch cap was reached
    expect(await sweeper.runOnce()).to.equal(false);
    expect(await metricValue("kv_expired_keys_purged_total")).to.equal(5);
    expect(await metricValue("kv_sweeper_runs_total", { result: "ok" })).to.equal(2);
    expect(await metricValue("kv_sweeper_last_success_timestamp_seconds")).to.equal(clock.now() / 1000);
    expect(logs.records.filter((log) => log.message === "sweeper run").map((log) => log.purged)).to.deep.equal([4, 1]);
  });

  it("then trims the change log to its retention, in the same bounded batches, and logs how many changes went", async () => {
    const withTrim = new ExpirySweeper(
      new PurgeExpiredKeys(repository, clock),
      { intervalMs: 1000, batchSize: 2, maxBatches: 2 },
      clock,
      metrics,
      logs.logger,
      new TrimChanges(repository.changes, { kind: "count", changes: 3 }, clock),
    );
    clock.advance(10);
    await withTrim.runOnce(); // 5 puts and 4 expires recorded; 4 changes trimmed (the batch cap)
    await withTrim.runOnce(); // 1 more expire; 3 more trimmed
    expect(logs.records.filter((log) => log.message === "sweeper run").map((log) => log.changes_trimmed)).to.deep.equal([4, 3]);
    const head = await repository.changes.head();
    expect(head).to.equal(10);
    expect((await repository.changes.read(head - 3, null, 10)).map((change) => change.kind)).to.deep.equal(["expire", "expire", "expire"]);
  });

  it("leaves keys alone before they expire", async () => {
    clock.advance(9);
    await sweeper.runOnce();
    expect(await metricValue("kv_expired_keys_purged_total")).to.equal(0);
  });

  it("survives a failing run: counts it, logs it, keeps going", async () => {
    sinon.stub(repository, "purgeExpired").rejects(new Error("database gone"));
    expect(await sweeper.runOnce()).to.equal(false);
    expect(await metricValue("kv_sweeper_runs_total", { result: "error" })).to.equal(1);
    expect(logs.records.find((log) => log.message === "sweeper run failed")?.error).to.equal("database gone");
  });

  it("runs on its interval and stops cleanly", async () => {
    const timers = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const run = sinon.spy(sweeper, "runOnce");
    sweeper.start();
    await timers.tickAsync(999);
    expect(run.callCount).to.equal(0);
    await timers.tickAsync(1);
    expect(run.callCount).to.equal(1);
    await sweeper.stop();
    await timers.tickAsync(10_000);
    expect(run.callCount).to.equal(1);
    timers.restore();
  });
});
