import { randomUUID } from "node:crypto";
import { link, mkdir, open, readFile, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
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
}

export interface DataDirectoryLockOptions {
  /** A lock whose file has not been touched for this long is abandoned (its holder died on another host). */
  readonly staleAfterMs?: number;
  readonly heartbeatMs?: number;
  /** Called if the lock file is removed or replaced under us; the data is no longer protected. */
  readonly onLost?: (error: Error) => void;
}

const LOCK_FILE = "kv.lock";
// Tokens of the locks this process holds: a lock file with our pid but a token
// not in here was left by an earlier process that had the same pid.
const heldHere = new Set<string>();
const GUARD_FILE = "kv.lock.takeover";

/**
 * An exclusive lock on a data directory, for PGlite, which does not stop two
 * processes from opening the same files. The lock is a file created with
 * O_EXCL holding the owner's pid, host and a random token; the owner touches
 * it every few seconds. A lock counts as abandoned when its owner is on this
 * host and no longer running (so a restart after a crash or SIGKILL proceeds
 * at once), or when it has not been touched for `staleAfterMs` (an owner on
 * another host, e.g. a replaced container sharing the volume). Removing an
 * abandoned lock happens under a second O_EXCL guard file, so two processes
 * starting together cannot both take it over.
 */
export class DataDirectoryLock {
  private heartbeat: NodeJS.Timeout | null = null;

  private constructor(
    private readonly path: string,
    private readonly token: string,
    private readonly clock: Clock,
  ) {}

  static async acquire(directory: string, clock: Clock, options: DataDirectoryLockOptions = {}): Promise<DataDirectoryLock> {
    const staleAfterMs = options.staleAfterMs ?? 10_000;
    await mkdir(directory, { recursive: true });
    const path = join(directory, LOCK_FILE);
    const me: Holder = { pid: process.pid, host: hostname(), token: randomUUID() };
    for (let attempt = 0; attempt < 50; attempt++) {
      heldHere.add(me.token);
      let created = false;
      try {
        created = await createExclusive(path, JSON.stringify(me));
      } finally {
        if (!created) heldHere.delete(me.token);
      }
      if (created) {
        const lock = new DataDirectoryLock(path, me.token, clock);
        lock.startHeartbeat(options.heartbeatMs ?? 2_000, options.onLost);
        return lock;
      }
      const holder = await readHolder(path);
      if (holder === "gone") continue;
      if (!(await isAbandoned(path, holder, staleAfterMs, clock))) {
        throw new DataDirectoryLockedError(directory, describe(holder));
      }
      await removeAbandoned(directory, path, holder, staleAfterMs, clock);
    }
    throw new DataDirectoryLockedError(directory, "another process (the lock kept changing hands)");
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
    const now = new Date(this.clock.now());
    await utimes(this.path, now, now);
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
      return { pid: parsed.pid, host: parsed.host, token: parsed.token };
    }
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  // A holder that crashed between creating and writing the file leaves it empty.
  return "unreadable";
}

async function isAbandoned(path: string, holder: Holder | "unreadable", staleAfterMs: number, clock: Clock): Promise<boolean> {
  if (holder !== "unreadable" && holder.host === hostname()) {
    // Our pid but not our token: an earlier process that had our pid (PID 1 in a restarted container).
    if (holder.pid === process.pid) return !heldHere.has(holder.token);
    if (!isRunning(holder.pid)) return true;
  }
  return (await ageMs(path, clock)) > staleAfterMs;
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
