import { expect } from "chai";
import sinon from "sinon";
import type { KeyspaceReport } from "../../../src/application/describe-keyspace";
import { Metrics } from "../../../src/infrastructure/metrics/metrics";

const REPORT: KeyspaceReport = { entries: 7, entriesExact: true, expired: 2, oldestExpiredAt: 1000, oldestExpiredAgeMs: 1500 };

describe("Metrics.observeKeyspace", () => {
  it("samples storage once per scrape and exports every keyspace gauge from that sample", async () => {
    const metrics = new Metrics({ version: "0.0.0", storage: "memory" });
    const sample = sinon.stub().resolves(REPORT);
    metrics.observeKeyspace(sample, 1000, () => undefined);
    const text = await metrics.render();
    expect(sample.callCount).to.equal(1);
    expect(text).to.match(/^kv_storage_up 1$/m);
    expect(text).to.match(/^kv_keys 7$/m);
    expect(text).to.match(/^kv_expired_keys 2$/m);
    expect(text).to.match(/^kv_expired_keys_oldest_age_seconds 1\.5$/m);
    await metrics.render();
    expect(sample.callCount).to.equal(2);
  });

  it("gives up on a storage sample after the timeout, reports kv_storage_up 0 and keeps the last values", async () => {
    const metrics = new Metrics({ version: "0.0.0", storage: "postgres" });
    const errors: unknown[] = [];
    const sample = sinon.stub();
    sample.onFirstCall().resolves(REPORT);
    sample.returns(new Promise(() => undefined));
    metrics.observeKeyspace(sample, 20, (error) => errors.push(error));
    await metrics.render();
    const text = await metrics.render();
    expect(text).to.match(/^kv_storage_up 0$/m);
    expect(text).to.match(/^kv_keys 7$/m);
    expect(errors).to.have.length(1);
    expect(String(errors[0])).to.include("within 20 ms");
  });
});
