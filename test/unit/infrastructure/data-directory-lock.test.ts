import { expect } from "chai";
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DataDirectoryLock, DataDirectoryLockedError } from "../../../src/infrastructure/storage/pglite/data-directory-lock";
import { SystemClock } from "../../../src/infrastructure/clock/system-clock";
import { temporaryDirectory } from "../../support/test-storage";
import { waitFor } from "../../support/polling";
import { hostname } from "node:os";

describe("DataDirectoryLock", () => {
  const clock = new SystemClock();
  let directory: ReturnType<typeof temporaryDirectory>;
  beforeEach(() => {
    directory = temporaryDirectory();
  });
  afterEach(() => directory.remove());

  const lockFile = () => join(directory.path, "kv.lock");
  const writeHolder = (holder: object, ageMs = 0) => {
    writeFileSync(lockFile(), JSON.stringify(holder));
    const when = new Date(Date.now() - ageMs);
    utimesSync(lockFile(), when, when);
  };

  it("is exclusive while held and free after release", async () => {
    const lock = await DataDirectoryLock.acquire(directory.path, clock);
    const error = await DataDirectoryLock.acquire(directory.path, clock).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(DataDirectoryLockedError);
    expect((error as Error).message).to.include(`process ${process.pid} on host ${hostname()}`).and.include("DATA_DIR");
    await lock.release();
    await (await DataDirectoryLock.acquire(directory.path, clock)).release();
  });

  it("takes over at once from a dead process on this host (restart after a crash or SIGKILL)", async () => {
    writeHolder({ pid: 2 ** 22 + 12345, host: hostname(), token: "dead" });
    const lock = await DataDirectoryLock.acquire(directory.path, clock);
    expect(JSON.parse(readFileSync(lockFile(), "utf8"))).to.deep.include({ pid: process.pid });
    await lock.release();
  });

  it("refuses a fresh lock from another host, takes over one that stopped being refreshed", async () => {
    writeHolder({ pid: 1, host: "other-host", token: "t" }, 1_000);
    const error = await DataDirectoryLock.acquire(directory.path, clock, { staleAfterMs: 5_000 }).then(() => null, (e: unknown) => e);
    expect((error as Error).message).to.include("process 1 on host other-host");
    writeHolder({ pid: 1, host: "other-host", token: "t" }, 6_000);
    await (await DataDirectoryLock.acquire(directory.path, clock, { staleAfterMs: 5_000 })).release();
  });

  it("of several processes racing for an abandoned lock, exactly one wins", async () => {
    writeHolder({ pid: 1, host: "other-host", token: "t" }, 60_000);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => DataDirectoryLock.acquire(directory.path, clock)));
    const winners = results.filter((result) => result.status === "fulfilled");
    expect(winners).to.have.length(1);
    await winners[0].value.release();
  });

  it("reports a lost lock when its file is replaced", async () => {
    let lost: Error | null = null;
    const lock = await DataDirectoryLock.acquire(directory.path, clock, { heartbeatMs: 20, onLost: (error) => (lost = error) });
    writeHolder({ pid: 1, host: "thief", token: "stolen" });
    await waitFor(() => Promise.resolve(lost !== null), 60_000, "the lost-lock report");
    expect(lost).to.be.instanceOf(Error);
    await lock.release();
    expect(JSON.parse(readFileSync(lockFile(), "utf8"))).to.deep.include({ token: "stolen" });
  });
});
