import { Client, type ClientConfig } from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { errorFields, type Logger } from "../../logging/logger";
import type { ChangeNotifications } from "../change-notifications";

/** The channel migration 0007's triggers notify on, once per writing transaction, delivered at commit. */
export const CHANGES_CHANNEL = "kv_changes";

/**
 * LISTENs for the change log's notifications on a connection of its own and
 * passes them on, so writes through other instances reach this one's
 * watchers at once. When the connection breaks it reconnects with backoff and
 * notifies once on success (what it missed meanwhile is in the log);
 * ChangeNotifications' periodic signal covers the gap.
 */
export class PostgresChangeListener {
  private client: Client | null = null;
  private closed = false;
  private connected = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly config: ClientConfig,
    private readonly notifications: ChangeNotifications,
    private readonly logger: Logger,
  ) {
    this.done = this.run();
  }

  async close(): Promise<void> {
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
    this.notifications.notify();
    if (this.closed) await client.end();
    await ended;
  }
}
