import { randomUUID } from "node:crypto";
import { Client, type ClientConfig } from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { errorFields, type Logger } from "../../logging/logger";
import type { ChangeNotifications } from "../change-notifications";

/**
 * The channel kv_number_changes() (migration 0008) notifies on when it has
 * given revisions while some instance has watchers, delivered at its commit;
 * instances also announce their watchers on it.
 */
export const CHANGES_CHANNEL = "kv_changes";
/** While this instance has watchers, its row in kv_watchers is renewed (and announced) this often, and lasts this long. */
const PRESENCE_RENEW_MS = 10_000;
const PRESENCE_TTL_SECONDS = 30;
/** The payload of an announcement, followed by a space and the announcing instance. */
const WATCHING = "watching";

/**
 * LISTENs on a connection of its own and passes on what it hears: a change
 * notification wakes this instance's watchers at once; another instance's
 * announcement that it has watchers makes this one number its own writes
 * soon after they commit (ChangeNotifications.watchedElsewhereFor), which is
 * what notifies the others. When the connection breaks it reconnects with
 * backoff and notifies once on success (what it missed meanwhile is in the
 * log); ChangeNotifications' periodic signal covers the gap.
 *
 * While this instance has watchers it keeps a row in kv_watchers, renewed
 * and announced before it expires; numberings notify only while some row is
 * current, and an instance that connects reads the rows to know whether
 * others watch. A write committed between the first stream opening here and
 * the row arriving is found by the periodic read.
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
          `WITH present AS (
             INSERT INTO kv_watchers (instance, until) VALUES ($1, now() + make_interval(secs => $2))
             ON CONFLICT (instance) DO UPDATE SET until = excluded.until
             RETURNING instance)
           SELECT pg_notify($3, $4 || ' ' || instance) FROM present`,
          [this.instance, PRESENCE_TTL_SECONDS, CHANGES_CHANNEL, WATCHING],
        );
      } else {
        await client.query("DELETE FROM kv_watchers WHERE instance = $1", [this.instance]);
      }
    } catch (error) {
      // The connection's own failure is reported (and repaired) by run().
      this.logger.debug("could not record this instance's watchers", errorFields(error));
    }
  }

  private heard(payload: string): void {
    if (!payload.startsWith(WATCHING)) {
      this.notifications.notify();
    } else if (payload !== `${WATCHING} ${this.instance}`) {
      this.notifications.watchedElsewhereFor(PRESENCE_TTL_SECONDS * 1000);
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
    client.on("notification", (message) => this.heard(message.payload ?? ""));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      // Others' watchers announced before this connection listened.
      const { rows } = await client.query<{ ms: number }>(
        "SELECT coalesce(extract(epoch FROM max(until) - now()) * 1000, 0)::float8 AS ms FROM kv_watchers WHERE instance <> $1",
        [this.instance],
      );
      if (rows[0].ms > 0) this.notifications.watchedElsewhereFor(rows[0].ms);
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
