import { expect } from "chai";
import { readFileSync, readlinkSync, utimesSync, writeFileSync } from "node:fs";
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

  /** The identity a lock file records for a process of this PID namespace and boot. */
  const here = (startTicks: string) => ({
    pidNamespace: readlinkSync("/proc/self/ns/pid"),
    bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
    startTicks,
  });

  it("takes over at once from a dead process on this host (restart after a crash or SIGKILL)", async () => {
    writeHolder({ pid: 2 ** 22 + 12345, host: hostname(), token: "dead", identity: here("1") });
    const lock = await DataDirectoryLock.acquire(directory.path, clock);
    expect(JSON.parse(readFileSync(lockFile(), "utf8"))).to.deep.include({ pid: process.pid });
    await lock.release();
  });

  it("takes over at once when the holder's pid now runs another process (pid reuse)", async () => {
    writeHolder({ pid: process.ppid, host: hostname(), token: "earlier", identity: here("1") });
    await (await DataDirectoryLock.acquire(directory.path, clock)).release();
  });

  it("counts a holder with our pid in another PID namespace (another container, same hostname) as alive until its renewals stop", async () => {
    const twin = { pid: process.pid, host: hostname(), token: "twin", identity: { ...here("5"), pidNamespace: "pid:[1]" } };
    writeHolder(twin, 1_000);
    const error = await DataDirectoryLock.acquire(directory.path, clock, { staleAfterMs: 5_000 }).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(DataDirectoryLockedError);
    writeHolder(twin, 6_000);
    await (await DataDirectoryLock.acquire(directory.path, clock, { staleAfterMs: 5_000 })).release();
  });

  it("holds its lease only while renewals succeed: a holder that could not renew stops counting itself as the owner first", async () => {
    const lock = await DataDirectoryLock.acquire(directory.path, clock, { leaseMs: 50, heartbeatMs: 60_000 });
    expect(lock.holdsLease()).to.equal(true);
    await waitFor(() => Promise.resolve(!lock.holdsLease()), 60_000, "the lease to run out without a renewal");
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
