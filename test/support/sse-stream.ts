/**
 * Applies watch events to an object of keys and values, as a cache built on
 * the feed would (put: set the value; delete, expire: drop the key); returns it.
 */
export function foldEvents(state: Record<string, unknown>, events: readonly SseEvent[]): Record<string, unknown> {
  for (const event of events) {
    const data = JSON.parse(event.data) as { key: string; value?: unknown };
    if (event.event === "put") state[data.key] = data.value;
    else delete state[data.key];
  }
  return state;
}

/** One Server-Sent Event as it arrived. */
export interface SseEvent {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

/**
 * A minimal Server-Sent Events reader over fetch, for tests that need the
 * stream exactly as sent (comments included) and to stop reading at will.
 */
export class SseStream {
  readonly comments: string[] = [];
  private readonly events: SseEvent[] = [];
  private buffered = "";
  private waiter: (() => void) | null = null;
  private ended = false;
  /** Why reading stopped, when it was not the server ending the stream or close(). */
  failure: unknown = null;

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    void this.read();
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
    return new SseStream(response, abort);
  }

  get status(): number {
    return this.response.status;
  }

  /** Whether the server has ended the stream. */
  get closed(): boolean {
    return this.ended;
  }

  /** The next `count` events; fails naming what arrived when they do not come within `timeoutMs`. */
  async take(count: number, timeoutMs = 10_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (this.ended) throw new Error(`the stream ended after ${this.events.length} of ${count} events: ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.events.length} of ${count} events within ${timeoutMs} ms: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.events.splice(0, count);
  }

  /** Waits until the server ends the stream (or `timeoutMs` passes); resolves to whether it ended. */
  async end(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.ended;
  }

  /** Events received and not yet taken. */
  get pending(): readonly SseEvent[] {
    return this.events;
  }

  close(): void {
    this.abort.abort();
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
        this.buffered += decoder.decode(chunk, { stream: true });
        this.parse();
      }
    } catch (error) {
      if ((error as Error).name !== "AbortError") this.failure = error;
    } finally {
      this.ended = true;
      this.waiter?.();
    }
  }

  private parse(): void {
    for (let end = this.buffered.indexOf("\n\n"); end >= 0; end = this.buffered.indexOf("\n\n")) {
      const block = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 2);
      let id: string | null = null;
      let event = "message";
      const data: string[] = [];
      let isEvent = false;
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) this.comments.push(line.slice(1).trim());
        else if (line.startsWith("id: ")) (id = line.slice(4)), (isEvent = true);
        else if (line.startsWith("event: ")) (event = line.slice(7)), (isEvent = true);
        else if (line.startsWith("data: ")) data.push(line.slice(6)), (isEvent = true);
      }
      if (isEvent) this.events.push({ id, event, data: data.join("\n") });
    }
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}
