import type { Context } from "koa";
import type { ServerResponse } from "node:http";
import type { ChangeFeed, FeedPage } from "../../application/change-feed";
import type { Change } from "../../domain/change";
import type { Clock } from "../../domain/clock";
import { RevisionCompactedError, StorageUnavailableError } from "../../domain/domain-error";
import type { KeyPattern } from "../../domain/key-pattern";
import type { Logger } from "./logger";
import { requestIdOf } from "./middleware/observe-requests";
import { etagOf } from "./preconditions";
import { problemBody, problemExtensionsOf } from "./problem-response";
import { RequestError } from "./request-error";
import { header, parseQuery, patternFrom } from "./request-target";
import type { StreamCloseReason, WatchMetrics } from "./watch-metrics";

/** Limits of the watch feed. */
export interface WatchLimits {
  /** Watch streams open at once at most; beyond, 503 + Retry-After. */
  readonly maxStreams: number;
  /** A comment line is sent this often, so proxies keep idle streams open. */
  readonly heartbeatMs: number;
  /** Bytes a stream may have waiting for its socket; beyond, no more changes are read for it until they drain. */
  readonly bufferBytes: number;
  /** A stream whose socket takes nothing for this long while its buffer is full is closed. */
  readonly stallMs: number;
}

/** Changes read per step of a stream. */
const PAGE = 100;
/** Events are written to the socket in batches of about this many characters. */
const WRITE_BATCH_CHARS = 64 * 1024;
/** While storage is unreachable, a stream tries again this often (heartbeats go on). */
const RETRY_MS = 1_000;

/** Whether a GET /keys asks for the watch feed rather than a listing. */
export function wantsWatch(ctx: Context): boolean {
  return /(^|&)watch(=|&|$)/.test(ctx.querystring) || (ctx.get("Accept") ?? "").includes("text/event-stream");
}

/**
 * GET /keys?watch=true: the change feed as Server-Sent Events. Each stream
 * pulls its next changes from the instance's ChangeFeed only when its socket
 * has taken what was written before, so a client that reads slowly holds at
 * most `bufferBytes` here and falls back to reading the change log (its
 * retention is the limit), instead of growing a queue.
 */
export class WatchController {
  private readonly closers = new Set<(reason: StreamCloseReason) => void>();
  private shuttingDown = false;

  constructor(
    private readonly feed: ChangeFeed | null,
    private readonly clock: Clock,
    private readonly metrics: WatchMetrics,
    private readonly logger: Logger,
    private readonly limits: WatchLimits,
  ) {}

  readonly watch = async (ctx: Context): Promise<void> => {
    const query = parseQuery(ctx.querystring, ["watch", "filter", "since"]);
    const flag = query.get("watch");
    if (flag !== undefined && flag !== "true") throw new RequestError("invalid-query", "watch must be true (or left out, with Accept: text/event-stream)");
    const pattern = patternFrom(query);
    const since = sinceFrom(header(ctx, "Last-Event-ID"), query.get("since"));
    if (this.feed === null) {
      throw new RequestError("watch-unavailable", "this storage keeps no change log (a Citus distributed table), so it cannot be watched");
    }
    if (this.closers.size >= this.limits.maxStreams) {
      throw new RequestError("too-many-watches", `${this.limits.maxStreams} watch streams are open already; retry after Retry-After seconds`);
    }
    const head = await this.feed.head();
    if (since !== null && since > head) {
      throw new RequestError("invalid-query", `revision ${since} is ahead of the store's revision ${head}`);
    }
    // A replay that cannot start (compacted) is answered 410 before the stream begins.
    const first = since === null ? null : await this.feed.fromLog(since, pattern, PAGE);
    ctx.respond = false;
    ctx.res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
      "KV-Revision": String(head),
    });
    await this.stream(ctx, pattern, since ?? head, first);
  };

  /** Ends every stream, and from now on each new one at once (graceful shutdown: clients reconnect with Last-Event-ID elsewhere). */
  closeAll(): void {
    this.shuttingDown = true;
    for (const close of [...this.closers]) close("shutdown");
  }

  private async stream(ctx: Context, pattern: KeyPattern | null, from: number, first: FeedPage | null): Promise<void> {
    const feed = this.feed!;
    const res = ctx.res;
    const started = this.clock.now();
    const wake = new Wake();
    let closed = (this.shuttingDown ? "shutdown" : null) as StreamCloseReason | null;
    const close = (reason: StreamCloseReason) => {
      closed ??= reason;
      wake.fire();
    };
    res.on("close", () => close("client"));
    // A watch client sends nothing after its request: its half-close means it
    // has gone (Node keeps a half-closed socket open until the response ends).
    const socket = res.socket;
    const onEnd = () => close("client");
    socket?.once("end", onEnd);
    this.closers.add(close);
    this.metrics.streams.inc();
    const stopFollowing = feed.onAdvance(() => wake.fire());
    const heartbeat = setInterval(() => {
      if (res.writableLength < this.limits.bufferBytes) res.write(": heartbeat\n\n");
    }, this.limits.heartbeatMs);
    this.logger.info("watch stream opened", { request_id: requestIdOf(ctx), filter: pattern !== null, from });
    let cursor = from;
    let page = first;
    let events = 0;
    try {
      // A client that loses the stream reconnects after a second (EventSource's default is about 3).
      res.write("retry: 1000\n: watching\n\n");
      while (closed === null) {
        if (res.writableLength >= this.limits.bufferBytes) {
          if (!(await drained(res, this.limits.stallMs))) close("stalled");
          continue;
        }
        page ??= await this.nextPage(cursor, pattern, wake, () => closed !== null);
        if (page === null) continue;
        const live = page.changes.length < PAGE;
        const sent = this.send(res, page.changes, live);
        events += sent;
        // Stopped early at the buffer bound: continue after the last change sent.
        cursor = sent === page.changes.length ? page.through : page.changes[sent - 1].revision;
        page = null;
        if (cursor >= feed.revision) await wake.wait();
      }
    } catch (error) {
      if (!(error instanceof RevisionCompactedError)) throw error;
      // Fell behind the retention mid-stream: say where to start over, then end.
      const problem = problemBody("revision-compacted", error.message, requestIdOf(ctx), problemExtensionsOf(error));
      res.write(`event: error\ndata: ${JSON.stringify(problem)}\n\n`);
      close("compacted");
    } finally {
      clearInterval(heartbeat);
      socket?.off("end", onEnd);
      stopFollowing();
      this.closers.delete(close);
      this.metrics.streams.dec();
      this.metrics.closed.inc({ reason: closed ?? "client" });
      if (closed === "stalled") res.destroy();
      else res.end();
      this.logger.info("watch stream closed", { request_id: requestIdOf(ctx), reason: closed, events, last_revision: cursor, duration_ms: this.clock.now() - started });
    }
  }

  /**
   * Writes the changes' events, batched into socket writes of about 64 KiB,
   * until the response holds `bufferBytes`; returns how many were written (at least one).
   */
  private send(res: ServerResponse, changes: readonly Change[], live: boolean): number {
    let batch = "";
    let sent = 0;
    for (const change of changes) {
      batch += eventText(change);
      sent++;
      this.metrics.events.inc({ type: change.kind });
      if (live) this.metrics.lag.observe(Math.max(0, this.clock.now() - change.recordedAt) / 1000);
      if (batch.length >= WRITE_BATCH_CHARS) {
        res.write(batch);
        batch = "";
        if (res.writableLength >= this.limits.bufferBytes) break;
      }
    }
    if (batch !== "") res.write(batch);
    return sent;
  }

  /** The stream's next page; null (after waiting) while storage is unavailable, or once the stream is closing. */
  private async nextPage(cursor: number, pattern: KeyPattern | null, wake: Wake, closing: () => boolean): Promise<FeedPage | null> {
    try {
      return await this.feed!.next(cursor, pattern, PAGE);
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error;
      // The stream stays open through an outage and resumes from its cursor.
      if (!closing()) await wake.wait(RETRY_MS);
      return null;
    }
  }
}

/** Last-Event-ID (a reconnecting EventSource sends it) wins over `since`. */
function sinceFrom(lastEventId: string | undefined, since: string | undefined): number | null {
  if (lastEventId !== undefined) return revisionFrom(lastEventId, "Last-Event-ID", "invalid-header");
  return since === undefined ? null : revisionFrom(since, "since", "invalid-query");
}

function revisionFrom(text: string, name: string, code: "invalid-header" | "invalid-query"): number {
  if (!/^[0-9]{1,15}$/.test(text)) throw new RequestError(code, `${name} must be a revision: plain decimal digits`);
  return Number(text);
}

/**
 * One event. `data` is one line: the stored value is compact JSON text
 * (spliced in as written, so numbers stay exact), and JSON escapes line
 * breaks inside strings and keys.
 */
function eventText(change: Change): string {
  let text = eventTexts.get(change);
  if (text === undefined) {
    text = formatEvent(change);
    eventTexts.set(change, text);
  }
  return text;
}

/** Every stream on the instance sends the same text for a change: made once, while the feed's window holds the change. */
const eventTexts = new WeakMap<Change, string>();

function formatEvent(change: Change): string {
  const value = change.value === null ? "" : `,"value":${change.value}`;
  const expiresAt = change.expiresAt === null ? "null" : JSON.stringify(new Date(change.expiresAt).toISOString());
  const data = `{"key":${JSON.stringify(change.key)},"revision":${change.revision}${value},"etag":${JSON.stringify(etagOf(change.version))},"expires_at":${expiresAt}}`;
  return `id: ${change.revision}\nevent: ${change.kind}\ndata: ${data}\n\n`;
}

/** Resolves when the response has drained (true), or after `stallMs` or when it closes (false). */
function drained(res: ServerResponse, stallMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (result: boolean) => {
      clearTimeout(timer);
      res.off("drain", onDrain).off("close", onClose);
      resolve(result);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), stallMs);
    res.on("drain", onDrain).on("close", onClose);
  });
}

/** A wake-up that is not lost when it fires while nobody waits. */
class Wake {
  private pending = false;
  private resolve: (() => void) | null = null;

  fire(): void {
    if (this.resolve === null) {
      this.pending = true;
      return;
    }
    const resolve = this.resolve;
    this.resolve = null;
    resolve();
  }

  /** Resolves at the next fire (or at once if one came since the last wait), or after `timeoutMs`. */
  async wait(timeoutMs?: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.resolve = resolve;
      if (timeoutMs !== undefined) timer = setTimeout(() => this.fire(), timeoutMs);
    });
    clearTimeout(timer);
  }
}
