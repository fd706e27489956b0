import { expect } from "chai";
import { readFileSync } from "node:fs";
import sinon from "sinon";
import { InsufficientStorageError, StorageUnavailableError } from "../../src/domain/domain-error";
import type { Storage } from "../../src/infrastructure/storage/storage";
import { rawHttp } from "../support/api-client";
import { useTestService } from "../support/test-service";
import { sampleValue, waitFor } from "../support/polling";
import { describeForEachBackend } from "../support/backends";

describeForEachBackend("HTTP errors, request ids, logs and operational endpoints", (backend) => {
  const t = useTestService(() => backend.env(), { emptyBeforeEach: false });
  let storage: Storage;
  before(() => {
    storage = t.storage;
  });
  afterEach(() => sinon.restore());

  it("answers unknown paths with a 404 problem", async () => {
    const response = await t.api.get("/nope");
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:route-not-found", status: 404 });
    expect((await t.api.get("/KEYS")).status).to.equal(404);
  });

  it("answers a known path with an unsupported method with 405, an Allow header and a problem body", async () => {
    const response = await t.api.request("POST", "/keys");
    expect(response.status).to.equal(405);
    expect(response.headers.get("allow")).to.equal("HEAD, GET, PUT, DELETE, OPTIONS");
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:method-not-allowed" });
    const single = await t.api.request("PATCH", "/keys/a");
    expect(single.headers.get("allow")).to.equal("HEAD, GET, PUT, DELETE, OPTIONS");
    expect((await t.api.request("DELETE", "/healthz")).headers.get("allow")).to.equal("HEAD, GET, OPTIONS");
  });

  it("answers OPTIONS on every documented path with 204, no body and Allow", async () => {
    for (const [path, allow] of [["/keys", "HEAD, GET, PUT, DELETE, OPTIONS"], ["/keys/a", "HEAD, GET, PUT, DELETE, OPTIONS"], ["/healthz", "HEAD, GET, OPTIONS"], ["/readyz", "HEAD, GET, OPTIONS"], ["/metrics", "HEAD, GET, OPTIONS"], ["/openapi.json", "HEAD, GET, OPTIONS"]]) {
      const response = await t.api.request("OPTIONS", path);
      expect(response.status, path).to.equal(204);
      expect(response.headers.get("allow"), path).to.equal(allow);
      expect(response.text, path).to.equal("");
    }
    expect((await t.api.request("OPTIONS", "/nowhere")).status).to.equal(404);
  });

  it("answers a method no route knows with 405 and Allow, not a 5xx (a client's mistake)", async () => {
    const response = await t.api.request("PROPFIND", "/keys");
    expect(response.status).to.equal(405);
    expect(response.headers.get("allow")).to.equal("HEAD, GET, PUT, DELETE, OPTIONS");
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:method-not-allowed" });
    expect((await t.api.request("MKCOL", "/keys/a")).headers.get("allow")).to.equal("HEAD, GET, PUT, DELETE, OPTIONS");
    expect((await t.api.request("PROPFIND", "/nowhere")).status).to.equal(404);
  });

  it("answers requests Node's parser rejects with a problem body, not a bare 400", async () => {
    const reply = await rawHttp(t.service.port, "GET /keys/\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(reply).to.match(/^HTTP\/1.1 400 /);
    expect(reply).to.include("application/problem+json");
    const body = JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4)) as { request_id: string };
    expect(body).to.deep.include({ type: "urn:kv:problem:bad-request", status: 400 });
    expect(reply).to.include(`X-Request-Id: ${body.request_id}`);
    const logged = t.logs.find((log) => log.message === "request rejected by the HTTP parser" && log.request_id === body.request_id);
    expect(logged).to.deep.include({ level: "info", status: 400 });
  });

  it("answers 503 with Retry-After when storage is unreachable", async () => {
    sinon.stub(storage.repository, "get").rejects(new StorageUnavailableError("PostgreSQL is unreachable"));
    const response = await t.api.get("/keys/a");
    expect(response.status).to.equal(503);
    expect(response.headers.get("retry-after")).to.equal("5");
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:storage-unavailable" });
  });

  it("answers 507 when storage has no room for a write, logged as 'storage full' and counted, never as a 500", async () => {
    const series = 'kv_storage_errors_total{operation="putMany",kind="insufficient_storage"}';
    const before = sampleValue((await t.api.get("/metrics")).text, series);
    sinon.stub(storage.repository, "putMany").rejects(new InsufficientStorageError("PostgreSQL has no disk space left for this write; nothing of it was stored"));
    const response = await t.api.put("/keys/a", "1", { "x-request-id": "full-1" });
    expect(response.status).to.equal(507);
    expect(response.headers.get("content-type")).to.equal("application/problem+json");
    expect(response.json()).to.deep.equal({
      type: "urn:kv:problem:insufficient-storage",
      title: "Insufficient storage",
      status: 507,
      detail: "PostgreSQL has no disk space left for this write; nothing of it was stored",
      request_id: "full-1",
    });
    expect(t.logs.find((log) => log.request_id === "full-1" && log.message === "storage full")).to.deep.include({ level: "warn" });
    expect(sampleValue((await t.api.get("/metrics")).text, series) - before).to.equal(1);
  });

  it("logs an overloaded store as 'storage overloaded', not as unreachable", async () => {
    sinon.stub(storage.repository, "get").rejects(new StorageUnavailableError("every database connection stayed busy: the service is overloaded", { reason: "overloaded" }));
    const response = await t.api.get("/keys/a", { "x-request-id": "busy-1" });
    expect(response.status).to.equal(503);
    expect(t.logs.find((log) => log.request_id === "busy-1")).to.deep.include({ level: "warn", message: "storage overloaded" });
  });

  it("answers an unexpected error with a 500 that hides the details and logs the stack with the request id", async () => {
    sinon.stub(storage.repository, "get").rejects(new Error("secret internals"));
    const response = await t.api.get("/keys/a", { "x-request-id": "trace-500" });
    expect(response.status).to.equal(500);
    expect(response.text).to.not.include("secret internals");
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:internal-error", request_id: "trace-500" });
    const logged = t.logs.find((log) => log.message === "unexpected error" && log.request_id === "trace-500");
    expect(logged?.stack).to.be.a("string").and.include("secret internals");
  });

  it("cuts the connection when storage fails in the middle of a streamed listing", async () => {
    await t.api.put("/keys", Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${String(i).padStart(3, "0")}`, "x".repeat(500)])));
    const list = storage.repository.list.bind(storage.repository);
    let calls = 0;
    sinon.stub(storage.repository, "list").callsFake(async (...args) => {
      if (++calls === 3) throw new Error("storage died mid-stream");
      return list(...args);
    });
    const response = await fetch(`${t.api.baseUrl}/keys`);
    expect(response.status).to.equal(200);
    const failure = await response.text().then(() => null, (error: unknown) => error);
    expect(failure, "the client must see an incomplete body, not valid JSON").to.be.instanceOf(Error);
    expect(t.logs.some((log) => log.message === "response failed after it started")).to.equal(true);
  });

  it("treats a client that disconnects mid-listing as aborted, not as a server error", async () => {
    // 24 MB: more than loopback socket buffers hold, so the server is still writing when the client leaves.
    for (let batch = 0; batch < 30; batch++) {
      await t.api.put("/keys", Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`big${batch * 50 + i}`, "x".repeat(16_000)])));
    }
    const controller = new AbortController();
    const response = await fetch(`${t.api.baseUrl}/keys?filter=big$`, { signal: controller.signal, headers: { "x-request-id": "gone-1" } });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await waitFor(async () => Promise.resolve(t.logs.some((log) => log.request_id === "gone-1" && log.message === "request")), 60_000, "the request's log line");
    expect(t.logs.find((log) => log.request_id === "gone-1" && log.message === "request")).to.deep.include({ status: 200, aborted: true });
    expect(t.logs.filter((log) => log.request_id === "gone-1" && log.level === "error")).to.deep.equal([]);
  });

  it("answers a listing whose first storage read fails with a problem, not a cut connection", async () => {
    sinon.stub(storage.repository, "list").rejects(new StorageUnavailableError("PostgreSQL is unreachable"));
    const response = await t.api.get("/keys");
    expect(response.status).to.equal(503);
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:storage-unavailable" });
  });

  it("echoes a sane X-Request-Id and generates one otherwise", async () => {
    expect((await t.api.get("/healthz", { "x-request-id": "abc-123" })).headers.get("x-request-id")).to.equal("abc-123");
    const generated = (await t.api.get("/healthz", { "x-request-id": "has space" })).headers.get("x-request-id");
    expect(generated).to.match(/^[0-9a-f-]{36}$/);
  });

  it("logs one line per request with id, method, route template, status and duration, and never values or keys", async () => {
    await t.api.put("/keys/secret-key", '"secret-value"', { "x-request-id": "log-1" });
    const line = t.logs.find((log) => log.message === "request" && log.request_id === "log-1");
    expect(line).to.deep.include({ level: "info", method: "PUT", route: "/keys/:key", status: 201 });
    expect(line?.duration_ms).to.be.a("number");
    const everything = JSON.stringify(t.logs);
    expect(everything).to.not.include("secret-value");
    expect(everything).to.not.include("secret-key");
  });

  it("GET /healthz and /readyz answer 200; /readyz answers 503 when storage is not ready", async () => {
    expect((await t.api.get("/healthz")).json()).to.deep.equal({ status: "ok" });
    expect((await t.api.get("/readyz")).json()).to.deep.equal({ status: "ready" });
    sinon.stub(storage.repository, "checkReady").rejects(new Error("schema is at version 0"));
    const notReady = await t.api.get("/readyz");
    expect(notReady.status).to.equal(503);
    expect(notReady.json<{ detail: string }>().detail).to.include("schema is at version 0");
    expect((await t.api.get("/healthz")).status).to.equal(200);
  });

  it("GET /metrics labels routes by template, never by key", async () => {
    await t.api.put("/keys/some-key", "1");
    await t.api.get("/keys/some-key");
    await t.api.get("/keys/other-key");
    const text = (await t.api.get("/metrics")).text;
    expect(text).to.match(/http_requests_total\{method="GET",route="\/keys\/:key",status="200"\} \d+/);
    expect(text).to.match(/kv_operations_total\{operation="get",outcome="miss"\} \d+/);
    expect(text).to.match(new RegExp(`kv_build_info\\{version="\\d+\\.\\d+\\.\\d+",storage="${backend.storage}"\\} 1`));
    expect(text).to.match(/kv_storage_operation_duration_seconds_bucket\{le="[^"]+",operation="get"\}/);
    expect(text).to.include("process_cpu_seconds_total");
    expect(text).to.not.include("some-key");
  });

  it("GET /metrics has every outcome and storage-error series from the start, and counts each live key a bulk delete removes", async () => {
    const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    const before = (await t.api.get("/metrics")).text;
    for (const series of ['kv_operations_total{operation="put",outcome="precondition_failed"}', 'kv_sweeper_runs_total{result="error"}', 'kv_storage_errors_total{operation="putMany",kind="unavailable"}']) {
      expect(value(before, series), series).to.be.a("number").and.not.NaN;
    }
    await t.api.put("/keys", { "bulk-1": 1, "bulk-2": 2, "bulk-3": 3 });
    await t.api.put("/keys?expire_in=1", { "bulk-expired": 4 });
    t.clock.advance(1000);
    await t.api.delete("/keys?filter=bulk-$");
    const after = (await t.api.get("/metrics")).text;
    const deleted = 'kv_operations_total{operation="delete_many",outcome="deleted"}';
    // The expired key was removed too, but it was already gone for clients: not counted.
    expect(value(after, deleted) - value(before, deleted)).to.equal(3);
  });

  it("GET /metrics reports the keyspace size and the expiry backlog", async () => {
    await t.api.delete("/keys");
    await t.api.put("/keys?expire_in=1", { a: 1, b: 2 });
    await t.api.put("/keys/kept", "3");
    t.clock.advance(3500);
    const text = (await t.api.get("/metrics")).text;
    expect(text).to.match(/^kv_storage_up 1$/m);
    expect(text).to.match(/^kv_expired_keys 2$/m);
    expect(text).to.match(/^kv_expired_keys_oldest_age_seconds 2\.5$/m);
    // memory counts exactly; PostgreSQL's estimate trails writes (see the contract suite).
    expect(text).to.match(backend.name === "memory" ? /^kv_keys 3$/m : /^kv_keys \d+$/m);
  });

  it("GET /metrics still answers when storage cannot be sampled, with kv_storage_up 0 and a warning", async () => {
    sinon.stub(storage.repository, "statistics").rejects(new StorageUnavailableError("PostgreSQL is unreachable"));
    const response = await t.api.get("/metrics", { "x-request-id": "scrape-1" });
    expect(response.status).to.equal(200);
    expect(response.text).to.match(/^kv_storage_up 0$/m);
    const warning = t.logs.find((log) => log.message === "keyspace statistics unavailable");
    expect(warning).to.deep.include({ level: "warn", request_id: "scrape-1", error: "PostgreSQL is unreachable" });
  });

  it("GET /metrics gives up on a storage sample after 2 s instead of hanging the scrape", async () => {
    sinon.stub(storage.repository, "statistics").returns(new Promise(() => undefined));
    const started = Date.now();
    const response = await t.api.get("/metrics", { "x-request-id": "scrape-2" });
    // At least the 2 s limit; the upper bound only tells "gave up" from "hung", with room for a loaded machine.
    expect(Date.now() - started).to.be.within(1900, 30_000);
    expect(response.text).to.match(/^kv_storage_up 0$/m);
    const warning = t.logs.find((log) => log.message === "keyspace statistics unavailable" && log.request_id === "scrape-2");
    expect(warning?.error).to.equal("no answer from storage within 2000 ms");
  });

  it("tags every warning and error logged while serving this suite's requests with a request id", () => {
    const startup = new Set(["memory storage: every key is lost when the process stops; use STORAGE=pglite or postgres to keep data"]);
    const untagged = t.logs.filter((log) => (log.level === "warn" || log.level === "error") && !startup.has(log.message) && !log.request_id);
    expect(t.logs.filter((log) => log.level === "warn" || log.level === "error").length).to.be.at.least(4);
    expect(untagged).to.deep.equal([]);
  });

  it("GET /openapi.json serves the OpenAPI 3.1 document of this version", async () => {
    const document = (await t.api.get("/openapi.json")).json<{ openapi: string; info: { version: string } }>();
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(document.openapi).to.equal("3.1.0");
    expect(document.info.version).to.equal(version);
  });
});
