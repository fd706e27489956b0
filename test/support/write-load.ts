import { expect } from "chai";
import { objectMembers } from "../../src/interfaces/http/lossless-json";

/** One write request: its keys and the exact JSON text sent for each. */
interface Write {
  readonly values: ReadonlyMap<string, string>;
  acknowledged: boolean;
}

/**
 * Concurrent writers of unique keys, recording every write before it is sent
 * and whether it got a 2xx. Values are chosen so that any loss of precision or
 * change of text shows: big integers, 1e400, escapes, astral characters.
 * Every fourth request is a multi-key PUT /keys, which must be all-or-nothing.
 */
export class WriteLoad {
  private readonly writes: Write[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  statuses = new Map<number | string, number>();

  constructor(private readonly prefix: string) {}

  start(baseUrl: () => string, writers: number): void {
    this.running = true;
    this.workers = Array.from({ length: writers }, (_, writer) => this.writer(baseUrl, writer));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  get acknowledged(): number {
    return this.writes.filter((write) => write.acknowledged).length;
  }

  get sent(): number {
    return this.writes.length;
  }

  /**
   * Checks a full listing (GET /keys body) against the history: every
   * acknowledged write is there with its exact text; every key there was sent
   * with that text; a multi-key write is entirely present or entirely absent.
   * Keys outside this load's prefix are ignored.
   */
  verify(listing: string): void {
    const stored = new Map((objectMembers(listing) ?? []).filter((m) => m.name.startsWith(this.prefix)).map((m) => [m.name, m.value]));
    const sentValues = new Map<string, string>();
    for (const write of this.writes) {
      const present = [...write.values].filter(([key]) => stored.has(key));
      const keys = [...write.values.keys()].join(",");
      if (write.acknowledged) expect(present.length, `acknowledged write ${keys} lost`).to.equal(write.values.size);
      expect([0, write.values.size], `write ${keys} partly applied`).to.include(present.length);
      for (const [key, value] of write.values) sentValues.set(key, value);
    }
    for (const [key, value] of stored) {
      expect(sentValues.has(key), `${key} was never sent`).to.equal(true);
      expect(value, `value of ${key}`).to.equal(sentValues.get(key));
    }
  }

  private async writer(baseUrl: () => string, writer: number): Promise<void> {
    for (let n = 0; this.running; n++) {
      const key = `${this.prefix}w${writer}-${n}`;
      const values = new Map<string, string>();
      const multi = n % 4 === 3;
      for (let part = 0; part < (multi ? 3 : 1); part++) values.set(multi ? `${key}.${part}` : key, valueFor(writer, n, part));
      const write: Write = { values, acknowledged: false };
      this.writes.push(write);
      const [target, body] = multi
        ? ["/keys", `{${[...values].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`]
        : [`/keys/${encodeURIComponent(key)}`, values.get(key)!];
      try {
        const response = await fetch(baseUrl() + target, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        await response.arrayBuffer();
        this.count(response.status);
        write.acknowledged = response.status >= 200 && response.status < 300;
        if (!write.acknowledged) await pause(20);
      } catch (error) {
        // The server died or the connection broke: the write's fate is unknown
        // (it may or may not have been committed), which verify() allows for.
        this.count((error as Error).name);
        await pause(20);
      }
    }
  }

  private count(outcome: number | string): void {
    this.statuses.set(outcome, (this.statuses.get(outcome) ?? 0) + 1);
  }
}

function valueFor(writer: number, n: number, part: number): string {
  const texts = [
    `${12345678901234567890n + BigInt(n)}`,
    `{"w":${writer},"n":${n},"big":1e400,"s":"\\u00e9\\ud83d\\ude00 \\"q\\""}`,
    `["${"x".repeat(n % 50)}",${part},-0.000001${n}]`,
    `"plain ${writer}/${n}/${part}"`,
  ];
  return texts[(n + part) % texts.length];
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
