import { randomUUID } from "node:crypto";
import { Client, type ClientConfig } from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { errorFields, type Logger } from "../../logging/logger";
import type { ChangeNotifications } from "../change-notifications";

/** The channel migration 0007's triggers notify on, once per writing transaction, delivered at commit. */
export const CHANGES_CHANNEL = "kv_changes";
/** While this instance has watchers, its row in kv_watchers is renewed this often, and lasts this long. */
const PRESENCE_RENEW_MS = 10_000;
const PRESENCE_TTL_SECONDS = 30;

/**
 * LISTENs for the change log's notifications on a connection of its own and
 * passes them on, so writes through other instances reach this one's
 * watchers at once. When the connection breaks it reconnects with backoff and
 * notifies once on success (what it missed meanwhile is in the log);
 * ChangeNotifications' periodic signal covers the gap.
 *
 * While this instance has watchers it keeps a row in kv_watchers, renewed
 * before it expires; the triggers notify only while some row is current. A
 * write committed between the first stream opening here and the row
 * arriving is found by the periodic read.
 */
export class PostgresChangeListener {
  private client: Client | null = null;
  private closed = false;
  private connected = false;
  private readonly done: Promise<void>;
  private readonly instance = randomUUID();
  private wanted = false;
  private renewal: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: ClientConfig,
    private readonly notifications: ChangeNotifications,
    private readonly logger: Logger,
  ) {
    this.done = this.run();
  }

  /** Whether this instance has watchers now (ChangeSignal.setWanted). */
  setWanted(wanted: boolean): void {
    this.wanted = wanted;
    if (wanted && this.renewal === null) {
      this.renewal = setInterval(() => void this.announce(), PRESENCE_RENEW_MS);
      this.renewal.unref();
    } else if (!wanted && this.renewal !== null) {
      clearInterval(this.renewal);
      this.renewal = null;
    }
    void this.announce();
  }

  async close(): Promise<void> {
    if (this.renewal !== null) clearInterval(this.renewal);
    this.renewal = null;
    if (this.wanted) {
      this.wanted = false;
      await this.announce(); // the row would expire anyway; removed now, writes stop notifying at once
    }
    this.closed = true;
    await this.client?.end().catch(() => undefined); // closing: a failure to say goodbye changes nothing
    await this.done;
  }

  private async run(): Promise<void> {
    for (let delayMs = 250; !this.closed; delayMs = Math.min(delayMs * 2, 5_000)) {
      try {
        await this.listen();
        delayMs = 250;
      } catch (error) {
        if (this.connected || delayMs === 250) this.logger.warn("change notifications interrupted; reconnecting", errorFields(error));
        this.connected = false;
      }
      if (!this.closed) await sleep(delayMs);
    }
  }

  /** Writes (or removes) this instance's kv_watchers row on the listening connection; while it is down, its reconnection does. */
  private async announce(): Promise<void> {
    const client = this.connected ? this.client : null;
    if (client === null) return;
    try {
      if (this.wanted) {
        await client.query(
          `INSERT INTO kv_watchers (instance, until) VALUES ($1, now() + make_interval(secs => $2))
           ON CONFLICT (instance) DO UPDATE SET until = excluded.until`,
          [this.instance, PRESENCE_TTL_SECONDS],
        );
      } else {
        await client.query("DELETE FROM kv_watchers WHERE instance = $1", [this.instance]);
      }
    } catch (error) {
      // The connection's own failure is reported (and repaired) by run().
      this.logger.debug("could not record this instance's watchers", errorFields(error));
    }
  }

  /** Resolves or rejects when the connection ends. */
  private async listen(): Promise<void> {
    const client = new Client(this.config);
    this.client = client;
    const ended = new Promise<void>((resolve, reject) => {
      client.on("error", reject);
      client.on("end", () => resolve());
    });
    ended.catch(() => undefined); // observed below; an early failure must not go unhandled
    client.on("notification", () => this.notifications.notify());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined); // already failed: the first error is the one to report
      throw error;
    }
    this.connected = true;
    await this.announce();
    this.notifications.notify();
    if (this.closed) await client.end();
    await ended;
  }
}
