import { randomUUID } from "node:crypto";
import { link, mkdir, open, readFile, stat, unlink, utimes } from "node:fs/promises";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../../../domain/clock";

export class DataDirectoryLockedError extends Error {
  constructor(directory: string, holder: string) {
    super(
      `data directory ${directory} is in use by ${holder}. Two processes on one PGlite directory corrupt it: ` +
        `stop the other process, or give this one its own DATA_DIR.`,
    );
    this.name = "DataDirectoryLockedError";
  }
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  /**
   * Where `pid` means something: the PID namespace and boot it was issued
   * in, and the process's start time (clock ticks since boot), which a
   * later process reusing the pid does not share. Absent where /proc is not.
   */
  readonly identity?: ProcessIdentity;
}

interface ProcessIdentity {
  readonly pidNamespace: string;
  readonly bootId: string;
  readonly startTicks: string;
}

export interface DataDirectoryLockOptions {
  /** A lock whose file has not been touched for this long is abandoned (its holder died on another host). */
  readonly staleAfterMs?: number;
  readonly heartbeatMs?: number;
  /** Called if the lock file is removed or replaced under us; the data is no longer protected. */
  readonly onLost?: (error: Error) => void;
  /**
   * How long after its last successful heartbeat the holder still counts its
   * lease as valid. Shorter than `staleAfterMs`: a holder that could not
   * renew (frozen, its event loop blocked, its disk failing) stops writing
   * before anyone may take the lock over.
   */
  readonly leaseMs?: number;
}

const LOCK_FILE = "kv.lock";
// Tokens of the locks this process holds: a lock file with our pid but a token
// not in here was left by an earlier process that had the same pid.
const heldHere = new Set<string>();
const GUARD_FILE = "kv.lock.takeover";

/**
 * An exclusive lock on a data directory, for PGlite, which does not stop two
 * processes from opening the same files. The lock is a file, created whole
 * (written aside, then linked into place), holding the owner's pid, host, a
 * random token and the identity of its process start; the owner renews it
 * (touches it) every few seconds. A lock counts as abandoned when its owner
 * is provably dead - same host, PID namespace and boot, and no process with
 * that pid and start time (a restart after a crash or SIGKILL proceeds at
 * once) - or when it has not been renewed for `staleAfterMs` (an owner in
 * another container or on another host; an owner still running here is then
 * frozen, and is killed before the takeover). Removing an abandoned lock happens
 * under a second exclusive guard file, so two processes starting together
 * cannot both take it over.
 *
 * Fencing: the holder's lease ends `leaseMs` after its last renewal, before
 * the lock can count as stale; the storage checks `holdsLease()` before each
 * statement and before acknowledging its result, so a holder that was frozen
 * or blocked past its lease acknowledges nothing more, and learns at its next
 * renewal whether it still holds the lock.
 */
export class DataDirectoryLock {
  private heartbeat: NodeJS.Timeout | null = null;
  /** Monotonic time of the last moment the lock file was seen to be ours and renewed. */
  private confirmedAt = performance.now();

  private constructor(
    private readonly path: string,
    private readonly token: string,
    private readonly clock: Clock,
    private readonly leaseMs: number,
  ) {}

  static async acquire(directory: string, clock: Clock, options: DataDirectoryLockOptions = {}): Promise<DataDirectoryLock> {
    const staleAfterMs = options.staleAfterMs ?? 10_000;
    await mkdir(directory, { recursive: true });
    const path = join(directory, LOCK_FILE);
    const identity = ownIdentity();
    const me: Holder = { pid: process.pid, host: hostname(), token: randomUUID(), ...(identity === null ? {} : { identity }) };
    for (let attempt = 0; attempt < 50; attempt++) {
      heldHere.add(me.token);
      let created = false;
      try {
        created = await createExclusive(path, JSON.stringify(me));
      } finally {
        if (!created) heldHere.delete(me.token);
      }
      if (created) {
        const lock = new DataDirectoryLock(path, me.token, clock, options.leaseMs ?? staleAfterMs * 0.6);
        lock.startHeartbeat(options.heartbeatMs ?? 2_000, options.onLost);
        return lock;
      }
      const holder = await readHolder(path);
      if (holder === "gone") continue;
      if (!(await isAbandoned(path, holder, staleAfterMs, clock))) {
        throw new DataDirectoryLockedError(directory, describe(holder));
      }
      // A holder that is still running here but stopped renewing is frozen
      // (SIGSTOP, a cgroup freezer): it could write again when it resumes,
      // before it notices the lock is gone. It is stopped for good first.
      if (holder !== "unreadable" && checkableHere(holder) && runsHere(holder)) await killFrozen(holder.pid);
      await removeAbandoned(directory, path, holder, staleAfterMs, clock);
    }
    throw new DataDirectoryLockedError(directory, "another process (the lock kept changing hands)");
  }

  /**
   * Whether this process may still write: its last renewal is younger than
   * the lease. Fencing for a holder that was frozen or blocked: once false,
   * another process may be about to take the lock over (after `staleAfterMs`).
   */
  holdsLease(): boolean {
    return performance.now() - this.confirmedAt < this.leaseMs;
  }

  async release(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    heldHere.delete(this.token);
    const holder = await readHolder(this.path);
    if (holder !== "gone" && holder !== "unreadable" && holder.token === this.token) await unlinkIfPresent(this.path);
  }

  private startHeartbeat(intervalMs: number, onLost?: (error: Error) => void): void {
    this.heartbeat = setInterval(() => {
      void this.touch().catch((error: unknown) => {
        if (this.heartbeat) clearInterval(this.heartbeat);
        this.heartbeat = null;
        onLost?.(error instanceof Error ? error : new Error(String(error)));
      });
    }, intervalMs);
    this.heartbeat.unref();
  }

  private async touch(): Promise<void> {
    const holder = await readHolder(this.path);
    if (holder === "gone" || holder === "unreadable" || holder.token !== this.token) {
      throw new Error(`lock file ${this.path} was removed or replaced by another process`);
    }
    const renewedAt = performance.now();
    const now = new Date(this.clock.now());
    await utimes(this.path, now, now);
    this.confirmedAt = renewedAt;
  }
}

/**
 * Creates `path` holding `content`, unless it exists. The content is written
 * to a private file first and linked into place (link fails if the name is
 * taken), so the file never exists half-written: a full disk or a crash
 * cannot leave an empty lock that a later start would take for a live one.
 */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const draft = `${path}.${randomUUID()}.draft`;
  try {
    const file = await open(draft, "wx");
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await link(draft, path);
    return true;
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw error;
  } finally {
    await unlinkIfPresent(draft);
  }
}

async function readHolder(path: string): Promise<Holder | "gone" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return "gone";
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Holder>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string" && typeof parsed.token === "string") {
      const identity = parsed.identity;
      const complete = identity !== undefined && [identity.pidNamespace, identity.bootId, identity.startTicks].every((part) => typeof part === "string");
      return { pid: parsed.pid, host: parsed.host, token: parsed.token, ...(complete ? { identity } : {}) };
    }
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  // A holder that crashed between creating and writing the file leaves it empty.
  return "unreadable";
}

/**
 * A holder is known dead only when its pid can be checked here: same host,
 * same PID namespace, same boot. Then a pid that runs no process, or runs one
 * that started at another time (pid reuse; PID 1 of a restarted process), is
 * dead. Anything else - another container with the same hostname and its own
 * PID 1, another host - counts as alive until its heartbeat stops.
 */
async function isAbandoned(path: string, holder: Holder | "unreadable", staleAfterMs: number, clock: Clock): Promise<boolean> {
  if (holder !== "unreadable" && checkableHere(holder)) {
    if (holder.pid === process.pid && ownIdentity()?.startTicks === holder.identity?.startTicks) return !heldHere.has(holder.token);
    if (!runsHere(holder)) return true;
  }
  return (await ageMs(path, clock)) > staleAfterMs;
}

/** Whether the holder's pid means the same here: same host, PID namespace and boot. */
function checkableHere(holder: Holder): boolean {
  const mine = ownIdentity();
  return (
    holder.host === hostname() &&
    holder.identity !== undefined &&
    mine !== null &&
    mine.pidNamespace === holder.identity.pidNamespace &&
    mine.bootId === holder.identity.bootId
  );
}

/** Whether the holder's very process (pid and start time) still exists; only meaningful when checkableHere. */
function runsHere(holder: Holder): boolean {
  return isRunning(holder.pid) && identityOf(holder.pid)?.startTicks === holder.identity?.startTicks;
}

/** SIGKILL, then wait (up to 10 s) until the process is gone. */
async function killFrozen(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGKILL");
  } catch (error) {
    if (errorCode(error) === "ESRCH") return;
    throw error;
  }
  for (let waited = 0; waited < 10_000 && isRunning(pid); waited += 20) await sleep(20);
}

let own: ProcessIdentity | null | undefined;

/** This process's identity: it never changes, so /proc is read once. */
function ownIdentity(): ProcessIdentity | null {
  if (own === undefined) own = identityOf(process.pid);
  return own;
}

/** The identity of a process as Linux's /proc tells it; null where /proc is not (or the process is gone). */
function identityOf(pid: number): ProcessIdentity | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime); fields after the command name, which may hold spaces, start after its ")".
    const startTicks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return {
      pidNamespace: readlinkSync("/proc/self/ns/pid"),
      bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
      startTicks,
    };
  } catch (error) {
    if (["ENOENT", "EACCES", "ESRCH"].includes(errorCode(error) ?? "")) return null;
    throw error;
  }
}

async function removeAbandoned(
  directory: string,
  path: string,
  judged: Holder | "unreadable",
  staleAfterMs: number,
  clock: Clock,
): Promise<void> {
  const guard = join(directory, GUARD_FILE);
  if (!(await createExclusive(guard, String(process.pid)))) {
    // Someone else is taking over right now; or crashed while doing so long ago.
    if ((await ageMs(guard, clock)) > staleAfterMs) await unlinkIfPresent(guard);
    else await sleep(20);
    return;
  }
  try {
    // Remove only the lock we judged abandoned, not one that replaced it meanwhile.
    const current = await readHolder(path);
    const same = current === "unreadable" ? judged === "unreadable" : current !== "gone" && judged !== "unreadable" && current.token === judged.token;
    if (same) await unlinkIfPresent(path);
  } finally {
    await unlinkIfPresent(guard);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === "EPERM";
  }
}

/** Milliseconds since the file was last touched; Infinity when it is gone. */
async function ageMs(path: string, clock: Clock): Promise<number> {
  try {
    return clock.now() - (await stat(path)).mtimeMs;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return Infinity;
    throw error;
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error;
  }
}

function describe(holder: Holder | "unreadable"): string {
  return holder === "unreadable" ? "another process (its lock file is being written)" : `process ${holder.pid} on host ${holder.host}`;
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}
