import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { ChildService, ServiceExitedError } from "../support/child-service";
import { waitFor } from "../support/polling";
import { temporaryDirectory } from "../support/test-storage";
import { WriteLoad } from "../support/write-load";

/** Node as PID 1 of a PID namespace of its own (as in a container), on this host and so with this hostname. */
const OWN_PID_NAMESPACE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child=SIGTERM"];
const skipReason = userInfo().uid === 0 ? null : "skipped: unshare into a new PID namespace needs root; CI runs the fault suite as root";

async function listing(base: string): Promise<string> {
  const response = await fetch(`${base}/keys`);
  expect(response.status).to.equal(200);
  return response.text();
}

(skipReason === null ? describe : describe.skip)(`One writer per PGlite data directory${skipReason === null ? "" : ` (${skipReason})`}`, function () {
  this.timeout(600_000);
  let directory: ReturnType<typeof temporaryDirectory>;
  const running: ChildService[] = [];
  beforeEach(() => {
    directory = temporaryDirectory();
  });
  afterEach(async () => {
    for (const service of running.splice(0)) await service.stop("SIGKILL");
    directory.remove();
  });

  async function start(launcher: readonly string[] = []): Promise<ChildService> {
    const service = await ChildService.start({ STORAGE: "pglite", DATA_DIR: directory.path }, 300_000, launcher);
    running.push(service);
    return service;
  }

  /**
   * The newcomer takes more writes; then every acknowledged write is in its
   * listing, and the files are consistent: a clean restart reads them all back.
   */
  async function verifyAfterTakeover(load: WriteLoad, newcomer: ChildService): Promise<void> {
    const before = load.acknowledged;
    await waitFor(() => Promise.resolve(load.acknowledged > before + 100), 120_000, "writes to the newcomer");
    await load.stop();
    load.verify(await listing(newcomer.baseUrl));
    await newcomer.stop("SIGTERM");
    const restarted = await start();
    load.verify(await listing(restarted.baseUrl));
  }

  it("two processes that are each PID 1 of their own PID namespace, with one hostname: the second is refused while the first writes", async () => {
    const first = await start(OWN_PID_NAMESPACE);
    expect(JSON.parse(readFileSync(join(directory.path, "kv.lock"), "utf8"))).to.include({ pid: 1 });
    const load = new WriteLoad("ns-");
    load.start(() => first.baseUrl, 4);
    try {
      const refused = await ChildService.start({ STORAGE: "pglite", DATA_DIR: directory.path }, 300_000, OWN_PID_NAMESPACE).then(
        (second) => {
          running.push(second);
          return null;
        },
        (error: unknown) => error,
      );
      expect(refused, "the second process must not open the directory").to.be.instanceOf(ServiceExitedError);
      const startup = (refused as ServiceExitedError).logs.find((log) => log.message === "startup failed");
      expect(startup?.error).to.match(/is in use by process 1 on host /);
      await waitFor(() => Promise.resolve(load.acknowledged > 200), 120_000, "the first to go on acknowledging writes");
    } finally {
      await load.stop();
    }
    load.verify(await listing(first.baseUrl));
  });

  it("a holder frozen (SIGSTOP): refused takeover while its lock is fresh; once stale, the newcomer stops the frozen holder for good, and no acknowledged write is lost", async () => {
    const first = await start();
    let target = first.baseUrl;
    const load = new WriteLoad("frozen-");
    load.start(() => target, 4);
    try {
      await waitFor(() => Promise.resolve(load.acknowledged > 100), 120_000, "writes to the first");
      process.kill(first.pid, "SIGSTOP");
      // While the frozen holder's lock is fresh, a newcomer is refused outright.
      const early = await ChildService.start({ STORAGE: "pglite", DATA_DIR: directory.path }).then(
        (service) => {
          running.push(service);
          return null;
        },
        (error: unknown) => error,
      );
      expect(early).to.be.instanceOf(ServiceExitedError);
      // Once it has gone unrenewed for 10 s (its own lease ended at 6 s), a newcomer takes over.
      await waitFor(() => Promise.resolve(Date.now() - statSync(join(directory.path, "kv.lock")).mtimeMs > 10_500), 60_000, "the lock to go stale");
      const second = await start();
      expect(await first.exit(), "the frozen holder was killed, not resumed").to.equal(null);
      target = second.baseUrl;
      await verifyAfterTakeover(load, second);
    } finally {
      await load.stop();
    }
  });

  it("a holder in another PID namespace frozen past its lease: after the takeover it resumes, acknowledges nothing and exits 70; no acknowledged write is lost", async () => {
    const first = await start(OWN_PID_NAMESPACE);
    const node = Number(execFileSync("pgrep", ["-P", String(first.pid)]).toString().trim());
    const load = new WriteLoad("fenced-");
    let target = first.baseUrl;
    load.start(() => target, 4);
    try {
      await waitFor(() => Promise.resolve(load.acknowledged > 100), 120_000, "writes to the first");
      process.kill(node, "SIGSTOP");
      await waitFor(() => Promise.resolve(Date.now() - statSync(join(directory.path, "kv.lock")).mtimeMs > 10_500), 60_000, "the lock to go stale");
      // The frozen holder's pid is not checkable from here: it is taken over, not killed.
      const second = await start();
      target = second.baseUrl;
      process.kill(node, "SIGCONT");
      const answers: number[] = [];
      for (let i = 0; i < 20; i++) {
        const status = await fetch(`${first.baseUrl}/keys/after-resume-${i}`, { method: "PUT", headers: { "content-type": "application/json" }, body: "1", signal: AbortSignal.timeout(15_000) }).then(
          (response) => response.status,
          () => 0,
        );
        answers.push(status);
      }
      expect(answers.filter((status) => status >= 200 && status < 300), "writes acknowledged by the resumed holder").to.deep.equal([]);
      expect(await first.exit(), "the resumed holder exits for a restart").to.equal(70);
      await verifyAfterTakeover(load, second);
    } finally {
      await load.stop();
    }
  });
});
