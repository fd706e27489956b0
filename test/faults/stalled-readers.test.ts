import { expect } from "chai";
import { connect, type Socket } from "node:net";
import { ChildService } from "../support/child-service";
import { sampleValue, waitFor } from "../support/polling";
import { ThrowawayCluster } from "../support/throwaway-cluster";

const READERS = 800;
const MAX_LISTINGS = 32;
const KEYS = 20_000;

/** A client that asks for the whole listing, reads the status line, and then never reads again. */
function stalledReader(port: number): { socket: Socket; status: Promise<number> } {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => socket.destroy());
  const status = new Promise<number>((resolve) => {
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString("latin1"))?.[1] ?? 0));
    });
    socket.once("close", () => resolve(0));
  });
  socket.write("GET /keys HTTP/1.1\r\nHost: kv\r\n\r\n");
  return { socket, status };
}

describe("Clients that stop reading a listing", function () {
  this.timeout(600_000);
  let cluster: ThrowawayCluster;
  let server: ChildService;

  before(async () => {
    cluster = await ThrowawayCluster.create();
    server = await ChildService.start({ STORAGE: "postgres", DATABASE_URL: await cluster.createDatabase("kv_stalled"), MAX_LISTINGS: String(MAX_LISTINGS) });
    // About 24 MB of listing: far more than the socket buffers between server and client hold.
    const value = JSON.stringify("v".repeat(1_200));
    for (let start = 0; start < KEYS; start += 500) {
      const members = Array.from({ length: 500 }, (_, i) => `"key-${String(start + i).padStart(6, "0")}":${value}`);
      const response = await fetch(`${server.baseUrl}/keys`, { method: "PUT", headers: { "content-type": "application/json" }, body: `{${members.join(",")}}` });
      expect(response.status).to.equal(201);
    }
  });
  after(async () => {
    await server?.stop();
    cluster?.destroy();
  });

  it(`${READERS} stalled readers: ${MAX_LISTINGS} stream, the rest get 503 + Retry-After; memory stays bounded, no database connection is held, point reads go on`, async () => {
    const scrape = async () => (await (await fetch(`${server.baseUrl}/metrics`)).text());
    const readers = Array.from({ length: READERS }, () => stalledReader(server.port!));
    try {
      const statuses = await Promise.all(readers.map((reader) => reader.status));
      const count = (status: number) => statuses.filter((candidate) => candidate === status).length;
      expect({ streaming: count(200), refused: count(503) }).to.deep.equal({ streaming: MAX_LISTINGS, refused: READERS - MAX_LISTINGS });

      const latencies: number[] = [];
      for (let i = 0; i < 300; i++) {
        const started = performance.now();
        const response = await fetch(`${server.baseUrl}/keys/key-${String(i * 7).padStart(6, "0")}`);
        await response.text();
        latencies.push(performance.now() - started);
        expect(response.status).to.equal(200);
      }
      latencies.sort((a, b) => a - b);
      const exposition = await scrape();
      const rssMb = sampleValue(exposition, "process_resident_memory_bytes") / 1024 / 1024;
      const busy = sampleValue(exposition, "kv_db_pool_connections") - sampleValue(exposition, "kv_db_pool_idle_connections");
      console.log(
        `      ${MAX_LISTINGS} streaming, ${READERS - MAX_LISTINGS} refused; server RSS ${rssMb.toFixed(0)} MB; ` +
          `point GET p50 ${latencies[150].toFixed(1)} ms, p99 ${latencies[297].toFixed(1)} ms; busy pool connections ${busy}`,
      );
      expect(rssMb, "server RSS (MB)").to.be.lessThan(300);
      // The scrape's own statistics query may hold one.
      expect(busy, "connections busy while every listing waits on its client").to.be.at.most(1);
    } finally {
      for (const reader of readers) reader.socket.destroy();
    }
    // The slots come back when the clients go away.
    await waitFor(async () => (await fetch(`${server.baseUrl}/keys?limit=1`)).status === 200, 60_000, "a listing to be served again");
  });
});
