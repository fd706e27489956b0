import { expect } from "chai";
import { EventSource } from "eventsource";
import { describeForEachBackend } from "../support/backends";
import { foldEvents, SseStream, type SseEvent } from "../support/sse-stream";
import { startTestService, useTestService, type TestService } from "../support/test-service";
import { Client } from "pg";
import { pause, waitFor } from "../support/polling";
import { postgresTestUrl } from "../support/postgres";

const kindAndKey = (events: readonly SseEvent[]) => events.map((event) => [event.event, (JSON.parse(event.data) as { key: string }).key]);

describeForEachBackend("HTTP watch: GET /keys?watch=true (Server-Sent Events)", (backend) => {
  const t = useTestService(() => backend.env(), { emptyBeforeEach: true });
  const open = (target: string, headers: Record<string, string> = {}) => SseStream.open(t.api.baseUrl + target, headers);
  const streams: SseStream[] = [];
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  const watch = async (target: string, headers: Record<string, string> = {}) => {
    const stream = await open(target, headers);
    streams.push(stream);
    return stream;
  };

  if (backend.name === "citus") {
    it("answers 501 with a problem: a Citus distributed table keeps no change log", async () => {
      const response = await t.api.get("/keys?watch=true");
      expect(response.status).to.equal(501);
      expect(response.json()).to.deep.include({ type: "urn:kv:problem:watch-unavailable", status: 501 });
    });
    return;
  }

  it("streams put, delete and expire events after the current revision, filtered like listings, values exact", async () => {
    const stream = await watch("/keys?watch=true&filter=wo$d");
    expect(stream.status).to.equal(200);
    expect(stream.response.headers.get("content-type")).to.equal("text/event-stream; charset=utf-8");
    const from = Number(stream.response.headers.get("kv-revision"));
    const written = await t.api.put("/keys", '{"word": 1, "world": {"x": 12345678901234567890}, "sword": 3}');
    await t.api.delete("/keys/word");
    const expiring = await t.api.put("/keys/wod?expire_in=1", '"soon"');
    t.clock.advance(1000);
    await t.storage.repository.purgeExpired(t.clock.now(), 100);
    const events = await stream.take(4);
    expect(kindAndKey(events)).to.deep.equal([
      ["put", "word"],
      ["put", "world"],
      ["delete", "word"],
      ["put", "wod"],
    ]);
    const [expired] = await stream.take(1);
    expect(kindAndKey([expired])).to.deep.equal([["expire", "wod"]]);
    const worldEtag = written.json<{ keys: { etag: string }[] }>().keys[1].etag;
    expect(events[1].data).to.equal(`{"key":"world","revision":${events[1].id},"value":{"x":12345678901234567890},"etag":${JSON.stringify(worldEtag)},"expires_at":null}`);
    const revisions = [...events, expired].map((event) => Number(event.id));
    expect(revisions[0]).to.be.greaterThan(from);
    expect(revisions).to.deep.equal([...revisions].sort((a, b) => a - b));
    expect(JSON.parse(expired.data)).to.deep.include({ etag: expiring.headers.get("etag"), expires_at: expiring.headers.get("expires-at") });
    expect(JSON.parse(events[2].data)).to.not.have.property("value");
  });

  it("a listing's KV-Revision, then a watch from it, misses nothing while writers run", async () => {
    const writers = Array.from({ length: 4 }, async (_, writer) => {
      for (let i = 0; i < 40; i++) {
        if (i % 5 === 4) await t.api.delete(`/keys/w${writer}-${i - 1}`);
        else await t.api.put(`/keys/w${writer}-${i}`, String(i));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const listing = await t.api.get("/keys");
    const stream = await watch(`/keys?watch=true&since=${listing.headers.get("kv-revision")}`);
    await Promise.all(writers);
    const final = await t.api.get("/keys");
    const head = Number(final.headers.get("kv-revision"));
    const events: SseEvent[] = [];
    while (events.length === 0 || Number(events[events.length - 1].id) < head) events.push(...(await stream.take(1)));
    expect(foldEvents(listing.json(), events)).to.deep.equal(final.json());
  });

  it("resumes from Last-Event-ID with exactly the events missed, then goes live", async () => {
    const first = await watch("/keys?watch=true");
    await t.api.put("/keys", { a: 1, b: 2 });
    const seen = await first.take(2);
    first.close();
    await t.api.put("/keys", { c: 3 });
    await t.api.delete("/keys/a");
    const resumed = await watch("/keys?watch=true&since=0", { "last-event-id": seen[1].id! });
    expect(kindAndKey(await resumed.take(2))).to.deep.equal([
      ["put", "c"],
      ["delete", "a"],
    ]);
    await t.api.put("/keys/d", "4");
    expect(kindAndKey(await resumed.take(1))).to.deep.equal([["put", "d"]]);
    expect(resumed.pending).to.deep.equal([]);
  });

  it("works with a standard EventSource client, which reconnects with Last-Event-ID and misses nothing", async () => {
    let connections = 0;
    const cuts: (() => void)[] = [];
    const sentLastEventId: (string | null)[] = [];
    const received: { type: string; id: string; key: string }[] = [];
    const source = new EventSource(`${t.api.baseUrl}/keys?watch=true`, {
      // The client's own fetch, with a way to end its stream early, as a dropped connection would.
      fetch: async (input, init) => {
        connections++;
        sentLastEventId.push(new Headers(init.headers).get("last-event-id"));
        const response = await fetch(input, init);
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        let cut = false;
        let end = () => {};
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            end = () => controller.close();
          },
          async pull(controller) {
            const { done, value } = await reader.read();
            if (cut) return;
            if (done) controller.close();
            else controller.enqueue(value);
          },
          cancel: (reason) => reader.cancel(reason),
        });
        cuts.push(() => {
          cut = true;
          end();
          void reader.cancel();
        });
        return new Response(body, { status: response.status, headers: response.headers });
      },
    });
    const listen = (type: string) =>
      source.addEventListener(type, (event: { lastEventId: string; data: string }) => received.push({ type, id: event.lastEventId, key: (JSON.parse(event.data) as { key: string }).key }));
    ["put", "delete", "expire"].forEach(listen);
    try {
      await waitFor(() => Promise.resolve(source.readyState === EventSource.OPEN), 10_000, "EventSource open");
      await t.api.put("/keys", { x: 1 });
      await waitFor(() => Promise.resolve(received.length === 1), 10_000, "the first event");
      cuts[0]();
      await t.api.put("/keys", { y: 2 });
      await waitFor(() => Promise.resolve(received.length === 2), 15_000, "the event written while reconnecting");
      expect(connections).to.equal(2);
      expect(sentLastEventId).to.deep.equal([null, received[0].id]);
      expect(received.map(({ type, key }) => [type, key])).to.deep.equal([
        ["put", "x"],
        ["put", "y"],
      ]);
      expect(Number(received[1].id)).to.equal(Number(received[0].id) + 1);
    } finally {
      source.close();
    }
  });

  it("answers 410 with the oldest revision to continue from when changes after `since` were trimmed", async () => {
    await t.api.put("/keys", { a: 1, b: 2, c: 3 });
    const head = Number((await t.api.head("/keys")).headers.get("kv-revision"));
    while ((await t.storage.changes!.trim({ kind: "count", changes: 1 }, t.clock.now(), 1000)) > 0);
    const response = await t.api.get(`/keys?watch=true&since=${head - 2}`);
    expect(response.status).to.equal(410);
    expect(response.headers.get("content-type")).to.equal("application/problem+json");
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:revision-compacted", status: 410, oldest_revision: head - 1 });
    const stream = await watch(`/keys?watch=true&since=${head - 1}`);
    expect(kindAndKey(await stream.take(1))).to.deep.equal([["put", "c"]]);
  });

  it("rejects a since ahead of the store, a malformed since or Last-Event-ID, and watch=false, with 400", async () => {
    const head = Number((await t.api.head("/keys")).headers.get("kv-revision"));
    for (const target of [`/keys?watch=true&since=${head + 1}`, "/keys?watch=true&since=-1", "/keys?watch=true&since=1e3", "/keys?watch=false", "/keys?watch=true&limit=2"]) {
      const response = await t.api.get(target);
      expect(response.status, target).to.equal(400);
      expect(response.json<{ type: string }>().type, target).to.equal("urn:kv:problem:invalid-query");
    }
    const badHeader = await t.api.get("/keys?watch=true", { "last-event-id": "abc" });
    expect(badHeader.status).to.equal(400);
    expect(badHeader.json<{ type: string }>().type).to.equal("urn:kv:problem:invalid-header");
  });

  it("treats Accept: text/event-stream on GET /keys as a watch", async () => {
    const stream = await watch("/keys");
    expect(stream.status).to.equal(200);
    await t.api.put("/keys/k", "1");
    expect(kindAndKey(await stream.take(1))).to.deep.equal([["put", "k"]]);
  });

  if (backend.name === "postgres") {
    it("delivers writes through other instances on the same database at once (LISTEN/NOTIFY), whether they started before this one's watchers or after", async () => {
      const before: TestService = await startTestService(backendEnvWithoutReset());
      let after: TestService | null = null;
      try {
        const stream = await watch("/keys?watch=true");
        // Writes are announced once this instance's watchers are recorded (moments after its first stream opens).
        await waitFor(async () => (await watchersRecorded()) > 0, 10_000, "watchers recorded");
        // Heard the announcement: numbers its writes at once, which notifies.
        let started = Date.now();
        await before.api.put("/keys/from-b", '"b"');
        expect(kindAndKey(await stream.take(1))).to.deep.equal([["put", "from-b"]]);
        // Well under the 1 s periodic read that would find it without a notification.
        expect(Date.now() - started).to.be.lessThan(900);
        // Read the recorded watchers when it connected.
        after = await startTestService(backendEnvWithoutReset());
        started = Date.now();
        await after.api.put("/keys/from-c", '"c"');
        expect(kindAndKey(await stream.take(1))).to.deep.equal([["put", "from-c"]]);
        expect(Date.now() - started).to.be.lessThan(900);
      } finally {
        await before.stop();
        await after?.stop();
      }
    });
  }

  if (backend.name === "postgres") {
    it("sends change notifications (from the numbering of changes) only while some instance has watch streams", async () => {
      const url = postgresTestUrl()!;
      const listener = new Client({ connectionString: url });
      await listener.connect();
      let notifications = 0;
      // Announcements of watchers ("watching <instance>") are not change notifications.
      listener.on("notification", (message) => {
        if (message.payload === "") notifications++;
      });
      await listener.query("LISTEN kv_changes");
      const presence = async () => Number((await listener.query<{ n: string }>("SELECT count(*) AS n FROM kv_watchers WHERE until > now()")).rows[0].n);
      try {
        expect(await presence()).to.equal(0);
        await t.api.put("/keys/unwatched", "1");
        await pause(300);
        expect(notifications, "without watchers").to.equal(0);

        const stream = await watch("/keys?watch=true");
        await waitFor(async () => (await presence()) === 1, 10_000, "this instance's watchers recorded");
        await t.api.put("/keys/watched", "2");
        await waitFor(() => Promise.resolve(notifications === 1), 10_000, "one notification");
        expect(kindAndKey(await stream.take(1))).to.deep.equal([["put", "watched"]]);

        stream.close();
        await waitFor(async () => (await presence()) === 0, 10_000, "the record removed with the last stream");
        await t.api.put("/keys/unwatched-again", "3");
        await pause(300);
        expect(notifications, "after the last stream closed").to.equal(1);
      } finally {
        await listener.end();
      }
    });
  }

  async function watchersRecorded(): Promise<number> {
    const client = new Client({ connectionString: postgresTestUrl()! });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM kv_watchers WHERE until > now()")).rows[0].n);
    } finally {
      await client.end();
    }
  }

  function backendEnvWithoutReset(): Record<string, string> {
    return { STORAGE: "postgres", DATABASE_URL: postgresTestUrl()! };
  }
});

describe("HTTP watch: limits and shutdown", () => {
  let service: TestService | null = null;
  afterEach(async () => {
    await service?.stop();
    service = null;
  });

  it("answers 503 + Retry-After beyond WATCH_MAX_STREAMS, and takes a new stream once one closes", async () => {
    service = await startTestService({ WATCH_MAX_STREAMS: "2" });
    const url = `${service.api.baseUrl}/keys?watch=true`;
    const open = [await SseStream.open(url), await SseStream.open(url)];
    const refused = await service.api.get("/keys?watch=true");
    expect(refused.status).to.equal(503);
    expect(refused.headers.get("retry-after")).to.match(/^[0-9]+$/);
    expect(refused.json()).to.deep.include({ type: "urn:kv:problem:too-many-watches" });
    open[0].close();
    const current = service;
    await waitFor(async () => (await fetch(`${current.api.baseUrl}/metrics`).then((r) => r.text())).includes("kv_watch_streams 1"), 10_000, "one stream open");
    const again = await SseStream.open(url);
    expect(again.status).to.equal(200);
    again.close();
    open[1].close();
  });

  it("sends a heartbeat comment every WATCH_HEARTBEAT_SECONDS", async () => {
    service = await startTestService({ WATCH_HEARTBEAT_SECONDS: "1" });
    const stream = await SseStream.open(`${service.api.baseUrl}/keys?watch=true`);
    await waitFor(() => Promise.resolve(stream.comments.filter((comment) => comment === "heartbeat").length >= 2), 10_000, "two heartbeats");
    stream.close();
  });

  it("ends open streams on shutdown instead of waiting for them, and logs each stream opened and closed without values", async () => {
    service = await startTestService();
    const stream = await SseStream.open(`${service.api.baseUrl}/keys?watch=true&filter=secret$`);
    await service.api.put("/keys/secret-key", '"hunter2"');
    await stream.take(1);
    const started = Date.now();
    await service.stop();
    const logs = service.logs;
    service = null;
    expect(Date.now() - started).to.be.lessThan(4_000);
    expect(await stream.end()).to.equal(true);
    expect(logs.find((log) => log.message === "stopped")).to.deep.include({ drained: true });
    const streamLogs = logs.filter((log) => String(log.message).startsWith("watch stream"));
    expect(streamLogs.map((log) => log.message)).to.deep.equal(["watch stream opened", "watch stream closed"]);
    expect(streamLogs[1]).to.deep.include({ reason: "shutdown", events: 1 });
    expect(JSON.stringify(streamLogs)).to.not.include("hunter2");
  });
});
