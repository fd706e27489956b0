import { expect } from "chai";
import { connect, type Socket } from "node:net";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { rawExchange } from "../support/raw-exchange";
import { useTestService } from "../support/test-service";

const TOKEN = "conformance-token-0123456789";
const HEADERS_TIMEOUT_MS = 1000;

/**
 * Sends the head of a request that expects 100 Continue and returns the first
 * status line the server sends back. When that is 100, `body` is then sent and
 * the final status line is returned too.
 */
function expectContinue(port: number, head: string, body: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let buffered = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(head));
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within 60 s; got ${JSON.stringify(buffered)}`));
    }, 60_000);
    const finish = () => {
      clearTimeout(guard);
      socket.destroy();
      resolve(lines);
    };
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      let end: number;
      while ((end = buffered.indexOf("\r\n\r\n")) !== -1) {
        const statusLine = buffered.slice(0, buffered.indexOf("\r\n"));
        buffered = buffered.slice(end + 4);
        lines.push(statusLine);
        if (statusLine.startsWith("HTTP/1.1 100 ")) socket.write(body);
        else return finish();
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(guard);
      resolve(lines);
    });
  });
}

function problemOf(reply: { headers: ReadonlyMap<string, string>; body: string } | null): { status: number; detail: string; request_id: string } {
  expect(reply, "an answer").to.not.equal(null);
  expect(reply!.headers.get("content-type")).to.equal("application/problem+json");
  return JSON.parse(reply!.body) as { status: number; detail: string; request_id: string };
}

describe("HTTP/1.1 conformance at the edges", () => {
  describe("framing, Host and encodings", () => {
    const t = useTestService(() => Promise.resolve({ HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), MAX_BODY_BYTES: "4096" }), {
      emptyBeforeEach: true,
    });

    it("answers a body that claims Content-Encoding: br but is not Brotli with 400, not 500", async () => {
      const response = await t.api.put("/keys/a", "not brotli at all", { "content-encoding": "br" });
      expect(response.status).to.equal(400);
      expect(response.json()).to.deep.include({ type: "urn:kv:problem:invalid-body", detail: "the request body could not be decompressed" });
      expect((await t.api.put("/keys/a", new Uint8Array(brotliCompressSync('{"b":1}')), { "content-encoding": "br" })).status).to.equal(201);
      expect((await t.api.get("/keys/a")).text).to.equal('{"b":1}');
    });

    it("matches content codings case-insensitively (RFC 9110, section 8.4.1): GZIP is gzip", async () => {
      expect((await t.api.put("/keys/a", new Uint8Array(gzipSync('{"c":1}')), { "content-encoding": "GZIP" })).status).to.equal(201);
      expect((await t.api.get("/keys/a")).text).to.equal('{"c":1}');
    });

    it("answers an expectation other than 100-continue with a logged 417 problem that carries a request id, not Node's bare 417", async () => {
      const reply = await rawExchange(t.service.port, Buffer.from("GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n"), 60_000, true);
      expect(reply?.status).to.equal(417);
      const problem = problemOf(reply);
      expect(problem).to.deep.include({ type: "urn:kv:problem:expectation-failed", detail: 'the expectation "teapot" is not supported; only 100-continue is' });
      expect(reply!.headers.get("x-request-id")).to.equal(problem.request_id);
      expect(t.logs.some((line) => line.request_id === problem.request_id && line.status === 417)).to.equal(true);
      const upper = await rawExchange(t.service.port, Buffer.from("GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nConnection: close\r\n\r\n"), 60_000, true);
      expect(upper?.status).to.equal(200);
    });

    it("answers a request without Host with a logged 400 problem that carries a request id", async () => {
      const reply = await rawExchange(t.service.port, Buffer.from("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"), 60_000, true);
      expect(reply?.status).to.equal(400);
      const problem = problemOf(reply);
      expect(problem.detail).to.equal("an HTTP/1.1 request needs exactly one Host header");
      expect(reply!.headers.get("x-request-id")).to.equal(problem.request_id);
      expect(t.logs.some((line) => line.request_id === problem.request_id)).to.equal(true);
    });

    it("answers a request with two Host headers with 400 (RFC 9112, section 3.2)", async () => {
      const reply = await rawExchange(t.service.port, Buffer.from("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"), 60_000, true);
      expect(reply?.status).to.equal(400);
      expect(problemOf(reply).detail).to.equal("an HTTP/1.1 request needs exactly one Host header");
    });

    it("still serves an HTTP/1.0 request without Host", async () => {
      const reply = await rawExchange(t.service.port, Buffer.from("GET /healthz HTTP/1.0\r\n\r\n"), 60_000, true);
      expect(reply?.status).to.equal(200);
    });

    it("words each parser rejection for its cause: malformed framing, oversized headers, a timeout, a raw non-ASCII target", async () => {
      const framing = await rawExchange(t.service.port, Buffer.from("PUT /keys/a HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"), 60_000, true);
      expect(framing?.status).to.equal(400);
      expect(problemOf(framing).detail).to.match(/^the request is not valid HTTP\/1\.1/);
      expect(problemOf(framing).detail).to.not.include("non-ASCII");

      const large = await rawExchange(t.service.port, Buffer.from(`GET /keys/a HTTP/1.1\r\nHost: x\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`), 60_000, true);
      expect(large?.status).to.equal(431);
      expect(problemOf(large).detail).to.equal("the request headers exceed 16 KiB");

      const slow = await rawExchange(t.service.port, Buffer.from("GET /keys/a HTTP/1.1\r\nHost: x\r\nX-Slow: "), 60_000, false);
      expect(slow?.status).to.equal(408);
      expect(problemOf(slow).detail).to.equal("the request did not arrive in time");

      const raw = await rawExchange(t.service.port, Buffer.from("GET /keys/\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n"), 60_000, true);
      expect(raw?.status).to.equal(400);
      expect(problemOf(raw).detail).to.include("non-ASCII characters in the path or query must be percent-encoded");
    });
  });

  describe("validators on PUT responses (RFC 9110, section 9.3.4)", () => {
    const t = useTestService(() => Promise.resolve({}), { emptyBeforeEach: true });

    it("sends ETag only when the value was stored exactly as sent; the body's etag always names the stored version", async () => {
      const spaced = await t.api.put("/keys/a", '{ "a" : [ 1 , 2 ] }');
      expect(spaced.status).to.equal(201);
      expect(spaced.headers.get("etag")).to.equal(null);
      const stored = await t.api.get("/keys/a");
      expect(stored.text).to.equal('{"a":[1,2]}');
      expect(spaced.json<{ etag: string }>().etag).to.equal(stored.headers.get("etag"));

      const exact = await t.api.put("/keys/a", '{"a":[1,2,3]}');
      expect(exact.headers.get("etag")).to.equal(exact.json<{ etag: string }>().etag);
      expect(exact.headers.get("etag")).to.equal((await t.api.get("/keys/a")).headers.get("etag"));
    });
  });

  describe("Expect: 100-continue", () => {
    const t = useTestService(() => Promise.resolve({ API_TOKEN: TOKEN, MAX_BODY_BYTES: "4096" }), { emptyBeforeEach: false });
    const head = (headers: string) => `PUT /keys/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n${headers}\r\n`;

    it("answers 401 at once, without 100 Continue, when the token is missing", async () => {
      expect(await expectContinue(t.service.port, head("Content-Length: 7\r\n"), '{"b":1}')).to.deep.equal(["HTTP/1.1 401 Unauthorized"]);
    });

    it("answers 413 at once, without 100 Continue, when Content-Length exceeds MAX_BODY_BYTES", async () => {
      const lines = await expectContinue(t.service.port, head(`Authorization: Bearer ${TOKEN}\r\nContent-Length: 5000\r\n`), "x".repeat(5000));
      expect(lines).to.deep.equal(["HTTP/1.1 413 Payload Too Large"]);
    });

    it("sends 100 Continue, then the final answer, when the request will be read", async () => {
      const lines = await expectContinue(t.service.port, head(`Authorization: Bearer ${TOKEN}\r\nContent-Length: 7\r\n`), '{"b":1}');
      expect(lines).to.deep.equal(["HTTP/1.1 100 Continue", "HTTP/1.1 201 Created"]);
    });
  });

  describe("MAX_CONNECTIONS", () => {
    const t = useTestService(() => Promise.resolve({ MAX_CONNECTIONS: "20" }), { emptyBeforeEach: false });

    it("closes a connection beyond the cap at once, and closes idle ones to make room, so the next attempt is served", async () => {
      const open = (): Promise<Socket> =>
        new Promise((resolve, reject) => {
          const socket = connect(t.service.port, "127.0.0.1", () => resolve(socket));
          socket.once("error", reject);
        });
      const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())));
      // Idle connections that never send a request hold every slot.
      const idle = await Promise.all(Array.from({ length: 20 }, open));
      for (const socket of idle) socket.on("error", () => socket.destroy());
      // The server accepts connections in the order they arrived: these 20 before the next.
      const beyond = await open();
      beyond.on("error", () => beyond.destroy());
      let answered = false;
      beyond.on("data", () => (answered = true));
      await closed(beyond);
      expect(answered, "closed without an answer").to.equal(false);
      await Promise.all(idle.map(closed));
      expect((await fetch(`http://127.0.0.1:${t.service.port}/healthz`)).status).to.equal(200);
    });
  });
});
