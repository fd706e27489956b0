import { expect } from "chai";
import Koa from "koa";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { Registry } from "prom-client";
import { ChangeFeed } from "../../src/application/change-feed";
import type { Storage } from "../../src/infrastructure/storage/storage";
import { WatchController, type WatchLimits } from "../../src/interfaces/http/watch-controller";
import { WatchMetrics } from "../../src/interfaces/http/watch-metrics";
import { captureLogger, type CapturedLog } from "../support/capture-logger";
import { FakeClock } from "../support/fake-clock";
import { waitFor } from "../support/polling";
import { openTestStorage, testConfig } from "../support/test-storage";

const T0 = Date.UTC(2026, 0, 1);
/** 10 KiB of JSON per value: a few thousand fill every buffer between the server and a client that reads nothing. */
const VALUE = JSON.stringify("v".repeat(10 * 1024 - 2));

/**
 * A watch stream's limits with small bounds, on one WatchController over
 * memory storage and a raw socket that stops reading: a stream that takes
 * nothing for `stallMs` is closed; one that falls behind the retention
 * while it was not reading ends with an error event naming where to go on.
 */
describe("HTTP watch: a client that stops reading", () => {
  let storage: Storage;
  let feed: ChangeFeed;
  let server: Server | null = null;
  let logs: CapturedLog[];
  let registry: Registry;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    storage = await openTestStorage(testConfig({ STORAGE: "memory" }));
    // A small window, so that a stream that stopped reading is soon reading the log itself.
    feed = new ChangeFeed(storage.changes!, storage.changeSignal!, { pageSize: 100, windowBytes: 64 * 1024 }, () => undefined);
    feed.start();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    if (server !== null) {
      server.closeAllConnections();
      server.close();
      server = null;
    }
    await feed.stop();
    await storage.close();
  });

  async function serve(limits: Partial<WatchLimits>): Promise<number> {
    const captured = captureLogger();
    logs = captured.records;
    registry = new Registry();
    const controller = new WatchController(feed, new FakeClock(), new WatchMetrics(registry), captured.logger, {
      maxStreams: 10,
      heartbeatMs: 60_000,
      bufferBytes: 64 * 1024,
      stallMs: 60_000,
      ...limits,
    });
    const app = new Koa().use((ctx) => controller.watch(ctx));
    server = createServer(app.callback());
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return (server.address() as AddressInfo).port;
  }

  /** Opens a stream from revision 0 on a socket that reads nothing until resumed; returns it and what it has read. */
  async function stalledStream(port: number): Promise<{ socket: Socket; received: () => string }> {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    await once(socket, "connect");
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.write("GET /keys?watch=true&since=0 HTTP/1.1\r\nHost: kv\r\nAccept: text/event-stream\r\n\r\n");
    await waitFor(() => Promise.resolve(logs.some((log) => log.message === "watch stream opened")), 30_000, "the stream to open");
    socket.pause();
    return { socket, received: () => text };
  }

  /** Writes `count` keys of 10 KiB each, a hundred at a time. */
  async function writeMany(count: number): Promise<void> {
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => ({ key: `k${i + j}`, value: VALUE }));
      await storage.repository.putMany(batch, null, T0);
    }
  }

  const closedFor = (reason: string) => logs.find((log) => log.message === "watch stream closed" && log.reason === reason);

  it("closes a stream whose socket takes nothing for stallMs while its buffer is full, and counts it as stalled", async () => {
    const port = await serve({ stallMs: 1_000 });
    await stalledStream(port);
    // Far more than the socket buffers of both ends and the stream's own bound.
    await writeMany(4_000);
    await waitFor(() => Promise.resolve(closedFor("stalled") !== undefined), 30_000, "the stalled stream to be closed");
    const metrics = await registry.getSingleMetricAsString("kv_watch_streams_closed_total");
    expect(metrics).to.match(/kv_watch_streams_closed_total\{reason="stalled"\} 1/);
    expect(await registry.getSingleMetricAsString("kv_watch_streams")).to.match(/kv_watch_streams 0/);
  });

  it("ends a stream that fell behind the retention while it was not reading with an error event naming the oldest revision, and counts it as compacted", async () => {
    const port = await serve({});
    const { socket, received } = await stalledStream(port);
    await writeMany(4_000);
    const head = await storage.changes!.head();
    // The stream sends until its buffer is full, then waits for the socket.
    await waitFor(async () => /kv_watch_events_total\{type="put"\} [1-9]/.test(await registry.metrics()), 30_000, "events to be sent");
    // Everything but the last change goes, while the stream is far behind.
    while ((await storage.changes!.trim({ kind: "count", changes: 1 }, T0, 10_000)) > 0);
    socket.resume();
    await once(socket, "end");
    const text = received();
    const error = /event: error\ndata: (\{.*\})\n\n/.exec(text);
    expect(error, "an error event").to.not.equal(null);
    const problem = JSON.parse(error![1]) as { type: string; status: number; oldest_revision: number };
    expect(problem).to.include({ type: "urn:kv:problem:revision-compacted", status: 410, oldest_revision: head - 1 });
    // It was sending events in order until then, and nothing after the error.
    expect(text.indexOf("id: 1\n")).to.be.greaterThan(0);
    expect(text.slice(error!.index + error![0].length)).to.not.match(/^id: /m);
    expect(closedFor("compacted")).to.not.equal(undefined);
    expect(await registry.getSingleMetricAsString("kv_watch_streams_closed_total")).to.match(/reason="compacted"\} 1/);
  });
});
