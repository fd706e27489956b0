import { statfs } from "node:fs/promises";
import { InsufficientStorageError } from "../../../domain/domain-error";
import type { KeyValueRepository } from "../../../domain/key-value-repository";
import { decorateRepository } from "../decorate-repository";

/** Free bytes of the file system holding a directory (what an unprivileged process may use). */
export type FreeSpaceReader = (directory: string) => Promise<number>;

export const readFreeBytes: FreeSpaceReader = async (directory) => {
  const stats = await statfs(directory);
  return stats.bavail * stats.bsize;
};

export interface FreeSpaceGuardOptions {
  readonly intervalMs?: number;
  readonly read?: FreeSpaceReader;
  /** Told when free space could not be read (the last sample stays in force). */
  readonly onSampleError: (error: unknown) => void;
}

/**
 * Keeps a reserve of free disk space under PGlite's data directory. PGlite
 * does not survive running out of space: once it cannot create its next WAL
 * segment it stops answering (a statement then never returns). So writes
 * are refused (507) while free space is under the reserve, before the engine
 * meets a full disk; deletes, purges and reads go on (deleting is how room is
 * made). Free space is sampled every `intervalMs`; the reserve must cover
 * what writes can add between two samples plus a WAL segment (16 MiB).
 */
export class FreeSpaceGuard {
  private free = Infinity;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly directory: string,
    readonly reserveBytes: number,
    private readonly read: FreeSpaceReader,
    private readonly onSampleError: (error: unknown) => void,
  ) {}

  /** Takes a first sample, then samples every `intervalMs` until stopped. With a reserve of 0 it only measures. */
  static async start(directory: string, reserveBytes: number, options: FreeSpaceGuardOptions): Promise<FreeSpaceGuard> {
    const guard = new FreeSpaceGuard(directory, reserveBytes, options.read ?? readFreeBytes, options.onSampleError);
    await guard.sample();
    guard.timer = setInterval(() => void guard.sample(), options.intervalMs ?? 1_000);
    guard.timer.unref();
    return guard;
  }

  /** Free bytes at the last sample (Infinity until one succeeds). */
  get freeBytes(): number {
    return this.free;
  }

  /** Throws InsufficientStorageError while free space is under the reserve. */
  checkRoomForWrite(): void {
    if (this.free < this.reserveBytes) {
      throw new InsufficientStorageError(
        `the data directory's disk has ${mebibytes(this.free)} MiB free, under the ${mebibytes(this.reserveBytes)} MiB kept in reserve: ` +
          "writes are refused until space is freed (deleting keys still works)",
      );
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async sample(): Promise<void> {
    try {
      this.free = await this.read(this.directory);
    } catch (error) {
      // The last sample stays in force; the engine's own errors still tell a full disk.
      this.onSampleError(error);
    }
  }
}

/** The repository with writes refused while the guard says the disk is (nearly) full. */
export function guardWrites(inner: KeyValueRepository, guard: FreeSpaceGuard): KeyValueRepository {
  return decorateRepository(inner, {
    putMany: async (...args) => {
      guard.checkRoomForWrite();
      return inner.putMany(...args);
    },
    putIf: async (...args) => {
      guard.checkRoomForWrite();
      return inner.putIf(...args);
    },
  });
}

function mebibytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
