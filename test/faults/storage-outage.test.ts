import { expect } from "chai";
import { ChildService } from "../support/child-service";
import { pause, scrapeValue, waitFor } from "../support/polling";
import { ThrowawayCluster } from "../support/throwaway-cluster";

const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 1500;

interface Timed {
  readonly status: number;
  readonly ms: number;
  readonly contentType: string | null;
  readonly retryAfter: string | null;
  readonly body: string;
}

async function timed(url: string, init: RequestInit = {}): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const body = await response.text();
  return {
    status: response.status,
    ms: performance.now() - started,
    contentType: response.headers.get("content-type"),
    retryAfter: response.headers.get("retry-after"),
    body,
  };
}

/** One request of each kind that needs storage. */
function storageRequests(base: string): Promise<Timed>[] {
  const json = { "content-type": "application/json" };
  return [
    timed(`${base}/keys/k`),
    timed(`${base}/keys/k`, { method: "HEAD" }),
    timed(`${base}/keys/k`, { method: "PUT", headers: json, body: "1" }),
    timed(`${base}/keys`, { method: "PUT", headers: json, body: '{"a":1,"b":2}' }),
    timed(`${base}/keys`),
    timed(`${base}/keys?filter=a$`),
    timed(`${base}/keys/k`, { method: "DELETE" }),
  ];
}

function expectUnavailable(responses: Timed[], boundMs: number): void {
  for (const response of responses) {
    expect(response.status, response.body).to.equal(503);
    expect(response.retryAfter).to.match(/^[0-9]+$/);
    expect(response.ms, "answered within the timeout bound").to.be.lessThan(boundMs);
    if (response.body !== "") {
      expect(response.contentType).to.equal("application/problem+json");
      expect(JSON.parse(response.body)).to.include({ status: 503, type: "urn:kv:problem:storage-unavailable" });
    }
  }
}


describe("PostgreSQL outages", function () {
  this.timeout(180_000);
  let cluster: ThrowawayCluster;
  let server: ChildService;
  let base: string;

  before(async () => {
    cluster = await ThrowawayCluster.create();
    const url = await cluster.createDatabase("kv_outage");
    server = await ChildService.start({
      STORAGE: "postgres",
      DATABASE_URL: url,
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      LOG_LEVEL: "info",
    });
    base = server.baseUrl;
  });
  after(async () => {
    await server?.stop("SIGTERM");
    cluster?.destroy();
  });

  const ready = async () => (await fetch(`${base}/readyz`)).status === 200;
  const storageWorks = async () => (await storageRequests(base).reduce(async (ok, next) => (await ok) && (await next).status < 500, Promise.resolve(true)));

  it("answers 503 + Retry-After quickly while PostgreSQL is stopped; /readyz 503, /healthz 200; heals when it returns", async () => {
    expect(await storageWorks()).to.equal(true);
    await cluster.stop("fast");

    const rssBefore = await scrapeValue(base, "process_resident_memory_bytes");
    for (let round = 0; round < 20; round++) expectUnavailable(await Promise.all(storageRequests(base)), CONNECT_TIMEOUT_MS + 2000);
    expect((await timed(`${base}/readyz`)).status).to.equal(503);
    expect((await timed(`${base}/healthz`)).status).to.equal(200);
    expect(await scrapeValue(base, "kv_storage_up")).to.equal(0);
    expect(await scrapeValue(base, "kv_db_pool_waiting_requests")).to.equal(0);
    // 140 failed storage requests must not leave anything behind (sockets, pending promises).
    expect((await scrapeValue(base, "process_resident_memory_bytes")) - rssBefore).to.be.lessThan(64 * 1024 * 1024);

    await cluster.start();
    await waitFor(ready, 15_000, "ready again");
    expect(await storageWorks()).to.equal(true);
    expect(await scrapeValue(base, "kv_storage_up")).to.equal(1);
  });

  it("answers 503 within the query timeout while PostgreSQL hangs (SIGSTOP), and heals after SIGCONT", async () => {
    expect(await storageWorks()).to.equal(true);
    cluster.signalAll("SIGSTOP");
    try {
      expectUnavailable(await Promise.all(storageRequests(base)), QUERY_TIMEOUT_MS + CONNECT_TIMEOUT_MS + 2000);
      expect((await timed(`${base}/healthz`)).status).to.equal(200);
    } finally {
      cluster.signalAll("SIGCONT");
    }
    await waitFor(ready, 15_000, "ready again");
    expect(await storageWorks()).to.equal(true);
  });

  it("was never down itself: one process throughout, no error-level log", () => {
    expect(server.logs.filter((log) => log.level === "error")).to.deep.equal([]);
    expect(server.logs.filter((log) => log.message === "listening")).to.have.length(1);
  });
});

describe("starting while PostgreSQL is down", function () {
  this.timeout(120_000);

  it("retries with backoff, then listens and is ready once PostgreSQL is up", async () => {
    const cluster = await ThrowawayCluster.create();
    try {
      const url = await cluster.createDatabase("kv_late");
      await cluster.stop("fast");
      const starting = ChildService.start({ STORAGE: "postgres", DATABASE_URL: url, DB_CONNECT_TIMEOUT_MS: "1000", LOG_LEVEL: "info" }, 60_000);
      await pause(3000);
      await cluster.start();
      const server = await starting;
      try {
        expect((await fetch(`${server.baseUrl}/readyz`)).status).to.equal(200);
        const retries = server.logs.filter((log) => log.message === "database unreachable, retrying").map((log) => log.retry_in_ms as number);
        expect(retries.length).to.be.greaterThan(1);
        expect(retries[1]).to.be.greaterThan(retries[0]);
      } finally {
        await server.stop("SIGTERM");
      }
    } finally {
      cluster.destroy();
    }
  });
});
