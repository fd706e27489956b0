import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

const MiB = 1024 * 1024;

/** Why the resource-exhaustion tests cannot run here, or null when they can (mounting a tmpfs needs root). */
export function tmpfsUnavailableReason(): string | null {
  return userInfo().uid === 0 ? null : "skipped: mounting a small tmpfs (a disk that fills up) needs root; CI runs the fault suite as root";
}

/**
 * A small disk of the test's own: a tmpfs of `sizeMiB`, to be filled up. A
 * ballast file takes space away on demand and gives it back when removed.
 */
export class SmallDisk {
  private constructor(readonly path: string) {}

  static mount(sizeMiB: number): SmallDisk {
    const path = mkdtempSync(join(tmpdir(), "kv-disk-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0777`, "tmpfs", path]);
    return new SmallDisk(path);
  }

  get freeBytes(): number {
    const stats = statfsSync(this.path);
    return stats.bavail * stats.bsize;
  }

  /** Fills the disk until `leaveMiB` are free (tmpfs keeps a ballast of zeros in memory, page by page). */
  fillLeaving(leaveMiB: number): void {
    const take = this.freeBytes - leaveMiB * MiB;
    if (take > 0) writeFileSync(join(this.path, `ballast-${Date.now()}`), Buffer.alloc(take));
  }

  /** Gives back the space the ballast took. */
  freeBallast(): void {
    execFileSync("sh", ["-c", `rm -f ${this.path}/ballast-*`]);
  }

  unmount(): void {
    execFileSync("umount", ["-l", this.path]);
    rmSync(this.path, { recursive: true, force: true });
  }
}
