import { expect } from "chai";
import { useTestService } from "../support/test-service";
import { describeForEachBackend } from "../support/backends";

describeForEachBackend("HTTP GET and DELETE /keys", (backend) => {
  const t = useTestService(() => backend.env(), { emptyBeforeEach: true });

  const keysOf = async (target: string): Promise<string[]> => Object.keys((await t.api.get(target)).json<Record<string, unknown>>());

  it("lists every live entry as one JSON object, values exact, keys in code-point order", async () => {
    await t.api.put("/keys", '{"😀": 1, "\uFFFD": 2, "é": 3, "b": 12345678901234567890, "a": {"x": 1e400}}');
    const response = await t.api.get("/keys");
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.equal("application/json; charset=utf-8");
    expect(response.text).to.equal('{"a":{"x":1e400},"b":12345678901234567890,"é":3,"\uFFFD":2,"😀":1}');
  });

  it("answers {} for an empty store", async () => {
    expect((await t.api.get("/keys")).text).to.equal("{}");
  });

  it("streams a listing larger than one storage chunk and one socket write", async () => {
    const body: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) body[`key-${String(i).padStart(5, "0")}`] = "v".repeat(20);
    await t.api.put("/keys", body);
    const response = await t.api.get("/keys");
    expect(response.headers.get("transfer-encoding")).to.equal("chunked");
    expect(response.json()).to.deep.equal(body);
  });

  it("filters with $ as a wildcard over whole keys", async () => {
    await t.api.put("/keys", { wod: 1, word: 2, world: 3, sword: 4, words: 5, "w%d": 6, "a$b": 7, "a\\b": 8 });
    expect(await keysOf("/keys?filter=wo$d")).to.deep.equal(["wod", "word", "world"]);
    expect(await keysOf("/keys?filter=wo%24d")).to.deep.equal(["wod", "word", "world"]);
    expect(await keysOf("/keys?filter=w%25d")).to.deep.equal(["w%d"]);
    expect(await keysOf("/keys?filter=a%5C%24b")).to.deep.equal(["a$b"]);
    expect(await keysOf("/keys?filter=a%5C%5Cb")).to.deep.equal(["a\\b"]);
    expect(await keysOf("/keys?filter=nomatch")).to.deep.equal([]);
  });

  it("leaves expired keys out of listings and filters", async () => {
    await t.api.put("/keys", { a: 1 });
    await t.api.put("/keys?expire_in=1", { ab: 2 });
    t.clock.advance(999);
    expect(await keysOf("/keys?filter=a$")).to.deep.equal(["a", "ab"]);
    t.clock.advance(1);
    expect(await keysOf("/keys?filter=a$")).to.deep.equal(["a"]);
    expect(await keysOf("/keys")).to.deep.equal(["a"]);
  });

  it("pages with limit and after, linking the next page (RFC 8288)", async () => {
    await t.api.put("/keys", { a: 1, b: 2, "c d": 3, e: 4, f: 5 });
    const first = await t.api.get("/keys?limit=2");
    expect(first.json()).to.deep.equal({ a: 1, b: 2 });
    expect(first.headers.get("link")).to.equal('</keys?limit=2&after=b>; rel="next"');
    const second = await t.api.get("/keys?limit=2&after=b");
    expect(second.json()).to.deep.equal({ "c d": 3, e: 4 });
    const next = /<([^>]+)>/.exec(second.headers.get("link") ?? "")?.[1] as string;
    expect(next).to.equal("/keys?limit=2&after=e");
    const last = await t.api.get(next);
    expect(last.json()).to.deep.equal({ f: 5 });
    expect(last.headers.get("link")).to.equal(null);
    expect((await t.api.get("/keys?limit=5")).headers.get("link")).to.equal(null);
  });

  it("pages through a filter, keeping the filter in the next link", async () => {
    await t.api.put("/keys", { "x/1": 1, y: 0, "x/2": 2, "x/3": 3 });
    const first = await t.api.get("/keys?filter=x%2F%24&limit=2");
    expect(first.json()).to.deep.equal({ "x/1": 1, "x/2": 2 });
    const next = /<([^>]+)>/.exec(first.headers.get("link") ?? "")?.[1] as string;
    expect(next).to.equal("/keys?filter=x%2F%24&limit=2&after=x%2F2");
    expect((await t.api.get(next)).json()).to.deep.equal({ "x/3": 3 });
  });

  for (const query of ["limit=0", "limit=10001", "limit=-1", "limit=1.5", "limit=abc", "limit=", "filter=", "filter=%ZZ", "sort=asc", "limit=1&limit=2", "after=%00", "limit=2&after=a%00"]) {
    it(`rejects ?${query} with 400`, async () => {
      const response = await t.api.get(`/keys?${query}`);
      expect(response.status).to.equal(400);
      expect(response.headers.get("content-type")).to.equal("application/problem+json");
    });
  }

  it("HEAD /keys answers the GET headers without a body", async () => {
    await t.api.put("/keys", { a: 1, b: 2 });
    const response = await t.api.head("/keys?limit=1");
    expect(response.status).to.equal(200);
    expect(response.text).to.equal("");
    expect(response.headers.get("link")).to.equal('</keys?limit=1&after=a>; rel="next"');
  });

  if (backend.name === "citus") {
    it("sends no KV-Revision on Citus, which keeps no change log", async () => {
      await t.api.put("/keys", { a: 1 });
      expect((await t.api.get("/keys")).headers.get("kv-revision")).to.equal(null);
    });
  } else {
    it("GET and HEAD /keys carry KV-Revision: the store's revision, one per key written or removed", async () => {
      const before = Number((await t.api.head("/keys")).headers.get("kv-revision"));
      await t.api.put("/keys", { a: 1, b: 2 });
      await t.api.put("/keys/c", "3");
      await t.api.delete("/keys/a");
      const listed = await t.api.get("/keys?filter=$");
      expect(listed.json()).to.deep.equal({ b: 2, c: 3 });
      expect(listed.headers.get("kv-revision")).to.equal(String(before + 4));
      expect((await t.api.head("/keys?limit=1")).headers.get("kv-revision")).to.equal(String(before + 4));
    });
  }

  it("DELETE /keys removes everything; with a filter only the matching keys", async () => {
    await t.api.put("/keys", { wod: 1, word: 2, sword: 3, other: 4 });
    expect((await t.api.delete("/keys?filter=wo$d")).status).to.equal(204);
    expect(await keysOf("/keys")).to.deep.equal(["other", "sword"]);
    expect((await t.api.delete("/keys")).status).to.equal(204);
    expect(await keysOf("/keys")).to.deep.equal([]);
    expect((await t.api.delete("/keys?filter=")).status).to.equal(400);
    expect((await t.api.delete("/keys?limit=1")).status).to.equal(400);
  });
});
