import type { PurgeExpiredKeys, PurgeLimits } from "../../application/purge-expired-keys";
import type { TrimChanges } from "../../application/trim-changes";
import type { Clock } from "../../domain/clock";
import { errorFields, type Logger } from "../logging/logger";
import type { Metrics } from "../metrics/metrics";

export interface SweeperSettings extends PurgeLimits {
  /** Pause between runs; 0 disables the sweeper. */
  readonly intervalMs: number;
}

/**
 * Runs PurgeExpiredKeys periodically, then TrimChanges where the storage
 * keeps a change log. Runs never overlap (the next one is
 * scheduled when the previous ends); when a run stops at its batch cap with
 * more expired keys waiting, the next starts right away instead of after the
 * interval. Several instances may sweep one database at once.
 */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly purge: PurgeExpiredKeys,
    private readonly settings: SweeperSettings,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly trim: TrimChanges | null = null,
  ) {}

  start(): void {
    this.metrics.sweepInterval.set(this.settings.intervalMs / 1000);
    if (this.settings.intervalMs === 0 || !this.stopped) return;
    this.stopped = false;
    this.schedule(this.settings.intervalMs);
  }

  /** Stops scheduling and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One run now; resolves to whether expired keys are still waiting. */
  async runOnce(): Promise<boolean> {
    const started = this.clock.now();
    try {
      const report = await this.purge.execute(this.settings);
      const trimmed = this.trim === null ? 0 : await this.trim.execute(this.settings);
      this.metrics.purgedKeys.inc(report.purged);
      this.metrics.sweeps.inc({ result: "ok" });
      this.metrics.lastSweep.set(this.clock.now() / 1000);
      const level = report.purged > 0 || trimmed > 0 ? "info" : "debug";
      this.logger.log(level, "sweeper run", {
        purged: report.purged,
        changes_trimmed: trimmed,
        batches: report.batches,
        backlog: report.backlog,
        duration_ms: this.clock.now() - started,
      });
      return report.backlog;
    } catch (error) {
      this.metrics.sweeps.inc({ result: "error" });
      this.logger.error("sweeper run failed", errorFields(error));
      return false;
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce().then((backlog) => {
        this.running = null;
        if (!this.stopped) this.schedule(backlog ? 0 : this.settings.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }
}
