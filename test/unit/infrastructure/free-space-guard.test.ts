import { expect } from "chai";
import { InsufficientStorageError } from "../../../src/domain/domain-error";
import { InMemoryKeyValueRepository } from "../../../src/infrastructure/storage/memory/in-memory-key-value-repository";
import { FreeSpaceGuard, guardWrites, readFreeBytes } from "../../../src/infrastructure/storage/pglite/free-space-guard";
import { waitFor } from "../../support/polling";

const MiB = 1024 * 1024;
const NOW = 1_000_000;

describe("FreeSpaceGuard (writes refused while the disk is nearly full)", () => {
  let free: number;
  let guard: FreeSpaceGuard;
  const sampleErrors: unknown[] = [];

  beforeEach(async () => {
    free = 100 * MiB;
    guard = await FreeSpaceGuard.start("/data", 64 * MiB, {
      intervalMs: 5,
      read: () => (Number.isNaN(free) ? Promise.reject(new Error("statfs failed")) : Promise.resolve(free)),
      onSampleError: (error) => sampleErrors.push(error),
    });
  });
  afterEach(() => guard.stop());

  it("refuses puts under the reserve with a 507-coded error, lets reads and deletes through, and lets puts through again once space is freed", async () => {
    const repository = guardWrites(new InMemoryKeyValueRepository(), guard);
    await repository.putMany([{ key: "a", value: "1" }], null, NOW);

    free = 10 * MiB;
    await waitFor(() => Promise.resolve(guard.freeBytes === 10 * MiB), 5_000, "the next sample");
    const refused = await repository.putMany([{ key: "b", value: "2" }], null, NOW).then(() => null, (e: unknown) => e);
    expect(refused).to.be.instanceOf(InsufficientStorageError);
    expect((refused as Error).message).to.equal(
      "the data directory's disk has 10.0 MiB free, under the 64.0 MiB kept in reserve: writes are refused until space is freed (deleting keys still works)",
    );
    const conditional = await repository.putIf({ key: "a", value: "3" }, null, { kind: "present" }, NOW).then(() => null, (e: unknown) => e);
    expect(conditional).to.be.instanceOf(InsufficientStorageError);
    expect((await repository.get("a", NOW))?.value).to.equal("1");
    expect(await repository.deleteIf("a", { kind: "none" }, NOW)).to.equal(true);

    free = 65 * MiB;
    await waitFor(() => Promise.resolve(guard.freeBytes === 65 * MiB), 5_000, "the next sample");
    expect(await repository.putMany([{ key: "b", value: "2" }], null, NOW)).to.have.length(1);
  });

  it("keeps the last sample when free space cannot be read, and says so", async () => {
    free = Number.NaN;
    await waitFor(() => Promise.resolve(sampleErrors.length > 0), 5_000, "a failed sample");
    expect(guard.freeBytes).to.equal(100 * MiB);
    expect(() => guard.checkRoomForWrite()).to.not.throw();
  });

  it("reads real free space from the file system", async () => {
    expect(await readFreeBytes(".")).to.be.greaterThan(0);
  });
});
