import { expect } from "chai";
import { Batcher } from "../../../src/infrastructure/storage/postgres/batcher";

/** A batch runner that records its batches and answers when told to. */
function recorder() {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const run = (inputs: number[]) => {
    batches.push(inputs);
    return new Promise<PromiseSettledResult<number>[]>((resolve) =>
      pending.push(() => resolve(inputs.map((n) => (n < 0 ? { status: "rejected", reason: new Error(`bad ${n}`) } : { status: "fulfilled", value: n * 10 })))),
    );
  };
  const answerAll = () => pending.splice(0).forEach((answer) => answer());
  return { batches, run, answerAll };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("Batcher", () => {
  it("sends the calls of one event-loop turn as one batch and answers each with its own result", async () => {
    const r = recorder();
    const batcher = new Batcher(r.run, { maxInFlight: 2, maxBatch: 100 });
    const answers = [1, 2, 3].map((n) => batcher.submit(n));
    await turn();
    expect(r.batches).to.deep.equal([[1, 2, 3]]);
    r.answerAll();
    expect(await Promise.all(answers)).to.deep.equal([10, 20, 30]);
  });

  it("holds calls while maxInFlight batches are out and sends them together when one returns", async () => {
    const r = recorder();
    const batcher = new Batcher(r.run, { maxInFlight: 1, maxBatch: 100 });
    const first = batcher.submit(1);
    await turn();
    const later = [2, 3, 4].map((n) => batcher.submit(n));
    await turn();
    expect(r.batches).to.deep.equal([[1]]);
    r.answerAll();
    await first;
    await turn();
    await turn();
    expect(r.batches).to.deep.equal([[1], [2, 3, 4]]);
    r.answerAll();
    expect(await Promise.all(later)).to.deep.equal([20, 30, 40]);
  });

  it("splits at maxBatch", async () => {
    const r = recorder();
    const batcher = new Batcher(r.run, { maxInFlight: 4, maxBatch: 2 });
    const answers = [1, 2, 3, 4, 5].map((n) => batcher.submit(n));
    await turn();
    expect(r.batches).to.deep.equal([[1, 2], [3, 4], [5]]);
    r.answerAll();
    await Promise.all(answers);
  });

  it("fails only the calls whose result failed, and every call when the batch itself fails", async () => {
    const r = recorder();
    const batcher = new Batcher(r.run, { maxInFlight: 1, maxBatch: 100 });
    const good = batcher.submit(1);
    const bad = batcher.submit(-1);
    await turn();
    r.answerAll();
    expect(await good).to.equal(10);
    const failure = await bad.then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).to.equal("bad -1");

    const failing = new Batcher<number, number>(() => Promise.reject(new Error("storage down")), { maxInFlight: 1, maxBatch: 100 });
    const results = await Promise.allSettled([failing.submit(1), failing.submit(2)]);
    expect(results.map((result) => result.status)).to.deep.equal(["rejected", "rejected"]);
  });
});
