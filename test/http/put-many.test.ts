import { expect } from "chai";
import { gzipSync } from "node:zlib";
import { useTestService } from "../support/test-service";
import { describeForEachBackend } from "../support/backends";

interface WriteView {
  key: string;
  created: boolean;
  etag: string;
  expires_at: string | null;
}

describeForEachBackend("HTTP PUT /keys", (backend) => {
  const t = useTestService(async () => ({ ...(await backend.env()), MAX_BODY_BYTES: "4096" }), { emptyBeforeEach: true });

  it("stores several keys and answers 201 listing each with its expiry, in the order of the body", async () => {
    const response = await t.api.put("/keys", { b: 1, a: "x" });
    expect(response.status).to.equal(201);
    const { keys } = response.json<{ keys: WriteView[] }>();
    expect(keys.map((k) => [k.key, k.created, k.expires_at])).to.deep.equal([
      ["b", true, null],
      ["a", true, null],
    ]);
    expect((await t.api.get("/keys/a")).text).to.equal('"x"');
  });

  it("answers 200 when every key already existed, 201 when at least one is new", async () => {
    await t.api.put("/keys", { a: 1 });
    expect((await t.api.put("/keys", { a: 2 })).status).to.equal(200);
    const mixed = await t.api.put("/keys", { a: 3, c: 4 });
    expect(mixed.status).to.equal(201);
    expect(mixed.json<{ keys: WriteView[] }>().keys.map((k) => k.created)).to.deep.equal([false, true]);
  });

  it("expire_in sets an expiry on every key; the keys vanish at that exact millisecond", async () => {
    const start = t.clock.now();
    const response = await t.api.put("/keys?expire_in=60", { a: 1, b: 2 });
    const expected = new Date(start + 60_000).toISOString();
    expect(response.json<{ keys: WriteView[] }>().keys.map((k) => k.expires_at)).to.deep.equal([expected, expected]);
    expect((await t.api.get("/keys/a")).headers.get("expires-at")).to.equal(expected);
    t.clock.advance(59_999);
    expect((await t.api.get("/keys/a")).status).to.equal(200);
    t.clock.advance(1);
    expect((await t.api.get("/keys/a")).status).to.equal(404);
    expect((await t.api.head("/keys/b")).status).to.equal(404);
    expect((await t.api.get("/keys")).json()).to.deep.equal({});
  });

  it("a PUT without expire_in makes a key persistent again", async () => {
    await t.api.put("/keys?expire_in=1", { a: 1 });
    await t.api.put("/keys", { a: 2 });
    t.clock.advance(10_000);
    const response = await t.api.get("/keys/a");
    expect(response.status).to.equal(200);
    expect(response.headers.get("expires-at")).to.equal(null);
  });

  for (const bad of ["0", "-1", "+5", "1.5", "1e3", "abc", "", "315360001", "%205", "99999999999999999999"]) {
    it(`rejects expire_in=${bad} with 400 and stores nothing`, async () => {
      const response = await t.api.put(`/keys?expire_in=${bad}`, { a: 1 });
      expect(response.status).to.equal(400);
      expect(response.json()).to.deep.include({ type: "urn:kv:problem:invalid-expiry", status: 400 });
      expect((await t.api.get("/keys/a")).status).to.equal(404);
    });
  }

  it("accepts the largest expire_in, ten years", async () => {
    const response = await t.api.put("/keys?expire_in=315360000", { a: 1 });
    expect(response.status).to.equal(201);
  });

  it("rejects unknown and repeated query parameters instead of ignoring them", async () => {
    expect((await t.api.put("/keys?expires_in=60", { a: 1 })).json()).to.deep.include({ type: "urn:kv:problem:invalid-query" });
    expect((await t.api.put("/keys?expire_in=1&expire_in=2", { a: 1 })).status).to.equal(400);
    expect((await t.api.get("/keys/a")).status).to.equal(404);
  });

  const badBodies: [string, string, string][] = [
    ["an empty object", "{}", "invalid-body"],
    ["an array", "[1]", "invalid-body"],
    ["a string", '"a"', "invalid-body"],
    ["null", "null", "invalid-body"],
    ["invalid JSON", '{"a":', "invalid-json"],
    ["trailing garbage", '{"a":1} x', "invalid-json"],
    ["an empty body", "", "invalid-json"],
    ["a duplicate key", '{"a":1,"a":2}', "invalid-key"],
    ["an empty key", '{"":1}', "invalid-key"],
    ["a NUL in a key", '{"a\\u0000":1}', "invalid-key"],
    ["a lone surrogate in a key", '{"\\ud800":1}', "invalid-key"],
    ["a key over 1024 bytes", JSON.stringify({ ["é".repeat(513)]: 1 }), "invalid-key"],
  ];
  for (const [what, body, code] of badBodies) {
    it(`rejects ${what} with 400 ${code}`, async () => {
      const response = await t.api.put("/keys", body);
      expect(response.status).to.equal(400);
      expect(response.headers.get("content-type")).to.equal("application/problem+json");
      expect(response.json()).to.deep.include({ type: `urn:kv:problem:${code}`, title: response.json<{ title: string }>().title, status: 400 });
    });
  }

  it("is atomic: one invalid key and no key is stored", async () => {
    const response = await t.api.put("/keys", `{"good": 1, "": 2}`);
    expect(response.status).to.equal(400);
    expect((await t.api.get("/keys/good")).status).to.equal(404);
  });

  it("rejects a body that is not UTF-8", async () => {
    const response = await t.api.put("/keys", Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]));
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:invalid-json", status: 400 });
  });

  it("accepts __proto__ as an ordinary key", async () => {
    expect((await t.api.put("/keys", '{"__proto__": {"x": 1}}')).status).to.equal(201);
    expect((await t.api.get("/keys/__proto__")).text).to.equal('{"x":1}');
  });

  it("answers 415 for a missing or non-JSON content type, or a charset other than UTF-8", async () => {
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=iso-8859-1"]) {
      const response = await t.api.request("PUT", "/keys", { headers: { "content-type": contentType }, body: '{"a":1}' });
      expect(response.status, contentType).to.equal(415);
      expect(response.json()).to.deep.include({ type: "urn:kv:problem:unsupported-media-type" });
    }
    const untyped = await t.api.request("PUT", "/keys", { body: new Uint8Array(Buffer.from('{"a":1}')) });
    expect(untyped.status).to.equal(415);
  });

  it("accepts application/json with charset=utf-8 and +json media types", async () => {
    expect((await t.api.put("/keys", { a: 1 }, { "content-type": "application/json; charset=UTF-8" })).status).to.equal(201);
    expect((await t.api.put("/keys", { b: 1 }, { "content-type": "application/merge-patch+json" })).status).to.equal(201);
  });

  it("answers 413 for a body over MAX_BODY_BYTES, also when it only grows that large after gunzip", async () => {
    const big = JSON.stringify({ a: "x".repeat(5000) });
    expect((await t.api.put("/keys", big)).status).to.equal(413);
    const zipped = gzipSync(big);
    expect(zipped.length).to.be.below(4096);
    const response = await t.api.put("/keys", zipped, { "content-encoding": "gzip" });
    expect(response.status).to.equal(413);
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:payload-too-large" });
  });

  it("accepts gzip bodies and rejects corrupt or unknown encodings", async () => {
    expect((await t.api.put("/keys", gzipSync('{"z":1}'), { "content-encoding": "gzip" })).status).to.equal(201);
    expect((await t.api.put("/keys", "not gzip", { "content-encoding": "gzip" })).status).to.equal(400);
    expect((await t.api.put("/keys", '{"a":1}', { "content-encoding": "compress" })).status).to.equal(415);
  });

  it("rejects conditional headers, which a multi-key write cannot honour", async () => {
    const response = await t.api.put("/keys", { a: 1 }, { "if-none-match": "*" });
    expect(response.json()).to.deep.include({ type: "urn:kv:problem:invalid-header" });
  });
});
