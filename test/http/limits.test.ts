import { expect } from "chai";
import { connect } from "node:net";
import { useTestService } from "../support/test-service";

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 1500;

/** Opens a connection, sends `start`, never finishes the request; resolves to what the server answered and when. */
function stall(port: number, start: string): Promise<{ reply: string; afterMs: number }> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(start));
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error("the server never gave up on the stalled request"));
    }, REQUEST_TIMEOUT_MS + 60_000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("close", () => {
      clearTimeout(guard);
      resolve({ reply: Buffer.concat(chunks).toString("utf8"), afterMs: performance.now() - began });
    });
  });
}

describe("resource limits", () => {
  const t = useTestService(
    () => Promise.resolve({ HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), MAX_KEYS_PER_PUT: "5", MAX_BODY_BYTES: "4096" }),
    { emptyBeforeEach: true },
  );

  it("cuts off a client that never finishes its headers with 408 (slowloris)", async () => {
    const { reply, afterMs } = await stall(t.service.port, "GET /keys HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    expect(reply).to.match(/^HTTP\/1.1 408 /);
    expect(reply).to.include("application/problem+json");
    // Node checks the deadlines once a second; the upper bound leaves room for a loaded machine.
    expect(afterMs).to.be.within(HEADERS_TIMEOUT_MS - 100, HEADERS_TIMEOUT_MS + 15_000);
  });

  it("cuts off a client that never finishes its body with 408, and the server stays healthy", async () => {
    const { reply, afterMs } = await stall(t.service.port, "PUT /keys/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n12");
    expect(reply).to.match(/^HTTP\/1.1 408 /);
    expect(afterMs).to.be.within(REQUEST_TIMEOUT_MS - 100, REQUEST_TIMEOUT_MS + 15_000);
    expect((await t.api.get("/keys/a")).status).to.equal(404);
    expect((await t.api.get("/healthz")).status).to.equal(200);
  });

  it("refuses more than MAX_KEYS_PER_PUT keys in one PUT /keys with 413, writing none", async () => {
    const response = await t.api.put("/keys", { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 });
    expect(response.status).to.equal(413);
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:too-many-keys" });
    expect((await t.api.get("/keys")).text).to.equal("{}");
    expect((await t.api.put("/keys", { a: 1, b: 2, c: 3, d: 4, e: 5 })).status).to.equal(201);
  });

  it("counts keys while scanning the body and stops at the first one too many (the rest is never read)", async () => {
    // Whatever follows the sixth key - here, not even JSON - is not scanned.
    const body = '{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,' + "#".repeat(3_000);
    const response = await t.api.put("/keys", body);
    expect(response.status).to.equal(413);
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:too-many-keys", detail: "the body holds more than 5 keys; at most 5 per request" });
  });

  it("refuses headers over Node's 16 KiB limit with 431", async () => {
    const response = await fetch(`http://127.0.0.1:${t.service.port}/keys/a`, { headers: { "x-big": "x".repeat(20_000) } });
    expect(response.status).to.equal(431);
    expect(response.headers.get("content-type")).to.equal("application/problem+json");
  });

  it("refuses a page size over 10,000 and bodies over MAX_BODY_BYTES", async () => {
    expect((await t.api.get("/keys?limit=10001")).status).to.equal(400);
    expect((await t.api.put("/keys/a", `"${"x".repeat(5000)}"`)).status).to.equal(413);
  });
});

describe("bodies of several megabytes", () => {
  const t = useTestService(() => Promise.resolve({ MAX_BODY_BYTES: String(4 * 1024 * 1024) }), { emptyBeforeEach: true });

  it("decodes a body slice by slice without breaking characters that straddle a slice", async () => {
    // 3- and 4-byte characters at every offset: some cross each 1 MiB boundary of the decoder.
    const value = JSON.stringify("€😀a".repeat(400_000));
    expect(Buffer.byteLength(value)).to.be.above(3 * 1024 * 1024);
    expect((await t.api.put("/keys/big", value)).status).to.equal(201);
    expect((await t.api.get("/keys/big")).text).to.equal(value);
  });

  it("refuses invalid UTF-8 anywhere in a big body, also in its last slice, storing nothing", async () => {
    for (const at of [10, 2 * 1024 * 1024 + 1, 3 * 1024 * 1024 - 3]) {
      const bytes = Buffer.from(JSON.stringify("x".repeat(3 * 1024 * 1024)));
      bytes[at] = 0xff;
      const response = await fetch(`http://127.0.0.1:${t.service.port}/keys/big`, { method: "PUT", headers: { "content-type": "application/json" }, body: bytes });
      expect(response.status, `byte ${at}`).to.equal(400);
      expect(await response.json()).to.deep.include({ type: "urn:kv:problem:invalid-json", detail: "the request body is not valid UTF-8" });
    }
    const cut = Buffer.from(JSON.stringify("x".repeat(3 * 1024 * 1024)).slice(0, -1) + "€").subarray(0, -1);
    expect((await fetch(`http://127.0.0.1:${t.service.port}/keys/big`, { method: "PUT", headers: { "content-type": "application/json" }, body: cut })).status).to.equal(400);
    expect((await t.api.get("/keys/big")).status).to.equal(404);
  });
});
