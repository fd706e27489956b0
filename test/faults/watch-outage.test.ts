import { expect } from "chai";
import { connect } from "node:net";
import { ChildService } from "../support/child-service";
import { pause, scrapeValue, waitFor } from "../support/polling";
import { SseStream, type SseEvent } from "../support/sse-stream";
import { ThrowawayCluster } from "../support/throwaway-cluster";

const json = { "content-type": "application/json" };
const revisions = (events: readonly SseEvent[]) => events.map((event) => Number(event.id));

describe("watch streams through storage faults and slow clients (PostgreSQL)", function () {
  this.timeout(240_000);
  let cluster: ThrowawayCluster;
  let server: ChildService;

  before(async () => {
    cluster = await ThrowawayCluster.create();
    const url = await cluster.createDatabase("kv_watch_faults");
    server = await ChildService.start({ STORAGE: "postgres", DATABASE_URL: url, DB_CONNECT_TIMEOUT_MS: "1000", LOG_LEVEL: "info" });
  });
  after(async () => {
    await server?.stop("SIGTERM");
    cluster?.destroy();
  });

  const put = async (target: string, body: string) => (await fetch(`${server.baseUrl}${target}`, { method: "PUT", headers: json, body })).status;

  it("keeps a stream open across a PostgreSQL crash and restart, and continues from its revision without a gap", async () => {
    const stream = await SseStream.open(`${server.baseUrl}/keys?watch=true`);
    expect(await put("/keys", '{"before-1": 1, "before-2": 2}')).to.equal(201);
    const before = await stream.take(2);

    await cluster.stop("immediate");
    await pause(1000);
    await cluster.start();
    await waitFor(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 30_000, "ready after the restart");
    await waitFor(async () => (await put("/keys/after", '"a"')) === 201, 30_000, "a write after the restart");

    const [after] = await stream.take(1, 30_000);
    expect(stream.closed, "the stream stayed open").to.equal(false);
    expect(JSON.parse(after.data)).to.include({ key: "after" });
    expect(revisions([...before, after])).to.deep.equal([1, 2, 3].map((n) => revisions(before)[0] + n - 1));
    stream.close();
  });

  it("holds a client that stops reading to a bounded amount of server memory while 300 MB of changes go by", async () => {
    const value = JSON.stringify("x".repeat(256 * 1024));
    /** Writes 1,200 values of 256 KiB; returns the largest RSS growth seen. */
    const writeAndWatchRss = async () => {
      const start = await scrapeValue(server.baseUrl, "process_resident_memory_bytes");
      let peak = start;
      for (let i = 0; i < 1200; i++) {
        expect(await put(`/keys/big-${i % 50}`, value)).to.be.oneOf([200, 201]);
        if (i % 100 === 99) peak = Math.max(peak, await scrapeValue(server.baseUrl, "process_resident_memory_bytes"));
      }
      return peak - start;
    };
    // The same writes without a stalled client first: what they cost anyway
    // (request buffers, the heap's high-water mark, the feed's window).
    const warmUp = await writeAndWatchRss();
    // A watch request on a raw socket that is never read from.
    const socket = connect(server.port!, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write("GET /keys?watch=true HTTP/1.1\r\nHost: kv\r\nAccept: text/event-stream\r\n\r\n");
    socket.pause();
    await waitFor(async () => (await scrapeValue(server.baseUrl, "kv_watch_streams")) === 1, 10_000, "the stream open");
    const growth = await writeAndWatchRss();
    // The stream's buffer is 1 MiB and the feed's window 16 MiB; 300 MB
    // queued for this client would show. The rest is the noise of a heap
    // that 300 MB of request bodies went through (up to 52 MiB seen).
    const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
    expect(growth, `RSS grew by ${mib(growth)} MiB with the stalled client, ${mib(warmUp)} MiB without`).to.be.lessThan(128 * 1024 * 1024);
    expect(await scrapeValue(server.baseUrl, "kv_watch_streams")).to.equal(1);
    socket.destroy();
    await waitFor(async () => (await scrapeValue(server.baseUrl, "kv_watch_streams")) === 0, 10_000, "the stream closed once its client went");
  });
});
