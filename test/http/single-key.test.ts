import { expect } from "chai";
import { rawExchange } from "../support/raw-exchange";
import { useTestService } from "../support/test-service";
import { describeForEachBackend } from "../support/backends";

describeForEachBackend("HTTP /keys/{key}", (backend) => {
  const t = useTestService(() => backend.env(), { emptyBeforeEach: true });

  describe("values round-trip exactly", () => {
    const values: [string, string][] = [
      ["a huge integer", "12345678901234567890"],
      ["a number beyond double range", "1e400"],
      ["a long decimal", "0.10000000000000000000000000000001"],
      ["negative zero", "-0"],
      ["a string with NUL", '"a\\u0000b"'],
      ["escaped and literal unicode", '"\\u00e9 é 😀 \\ud83d\\ude00"'],
      ["an escaped lone surrogate", '"\\udc00"'],
      ["nested structures", '{"a":[1,{"b":[null,true,false]}],"c":{}}'],
      ["deep nesting", "[".repeat(5000) + "]".repeat(5000)],
      ["a bare string", '"hello"'],
      ["null", "null"],
      ["an object with duplicate names", '{"a":1,"a":2}'],
    ];
    for (const [what, value] of values) {
      it(`${what} through PUT /keys`, async () => {
        await t.api.put("/keys", `{"k": ${value}}`);
        const response = await t.api.get("/keys/k");
        expect(response.headers.get("content-type")).to.equal("application/json; charset=utf-8");
        expect(response.text).to.equal(value);
      });
    }

    it("whitespace outside strings is dropped, inside strings kept", async () => {
      await t.api.put("/keys/k", ' {\n "a" : [ 1 ,\t2 ] , "b" : " x  y " }\n');
      expect((await t.api.get("/keys/k")).text).to.equal('{"a":[1,2],"b":" x  y "}');
    });
  });

  describe("keys in the path", () => {
    it("are percent-decoded: /keys/a%2Fb is the key a/b", async () => {
      await t.api.put("/keys", { "a/b": 1, "sp ace": 2, "😀": 3, "%": 4, "a+b": 5 });
      expect((await t.api.get("/keys/a%2Fb")).text).to.equal("1");
      expect((await t.api.get("/keys/sp%20ace")).text).to.equal("2");
      expect((await t.api.get("/keys/%F0%9F%98%80")).text).to.equal("3");
      expect((await t.api.get("/keys/%25")).text).to.equal("4");
      expect((await t.api.get("/keys/a+b")).text).to.equal("5");
    });

    it("address the keys . and .. as %2E and %2E%2E when the client sends the path as is", async () => {
      // WHATWG URL parsers (fetch, browsers) remove these segments even when
      // percent-encoded, so this needs a raw client (or curl --path-as-is).
      const put = async (path: string) => {
        const request = `PUT ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1\r\nConnection: close\r\n\r\n1`;
        return (await rawExchange(t.service.port, Buffer.from(request), 10_000, false))?.status;
      };
      expect(await put("/keys/%2E%2E")).to.equal(201);
      expect(await put("/keys/%2e")).to.equal(201);
      expect(Object.keys((await t.api.get("/keys")).json<object>()).sort()).to.deep.equal([".", ".."]);
    });

    for (const path of ["/keys/%ZZ", "/keys/%C3%28", "/keys/%E2%82", "/keys/%ED%A0%80", "/keys/a%"]) {
      it(`rejects the malformed escape ${path} with 400`, async () => {
        for (const method of ["GET", "PUT", "DELETE"] as const) {
          const response = await t.api.request(method, path, { headers: { "content-type": "application/json" }, body: method === "PUT" ? "1" : undefined });
          expect(response.status, method).to.equal(400);
          expect(response.json(), method).to.deep.include({ type: "urn:kv:problem:invalid-key" });
        }
      });
    }

    it("rejects NUL and keys over 1024 bytes", async () => {
      expect((await t.api.put("/keys/a%00b", "1")).status).to.equal(400);
      expect((await t.api.get("/keys/" + "a".repeat(1025))).status).to.equal(400);
      expect((await t.api.put("/keys/" + "a".repeat(1024), "1")).status).to.equal(201);
    });

    it("treats /keys/a/b and /keys/ as unknown routes", async () => {
      expect((await t.api.get("/keys/a/b")).json()).to.deep.include({ status: 404, type: "urn:kv:problem:route-not-found" });
      expect((await t.api.get("/keys/")).status).to.equal(404);
    });
  });

  describe("PUT /keys/{key}", () => {
    it("answers 201 with ETag and Location on create, 200 with a new ETag on replace", async () => {
      const created = await t.api.put("/keys/a%2Fb", { v: 1 });
      expect(created.status).to.equal(201);
      expect(created.headers.get("location")).to.equal("/keys/a%2Fb");
      const etag = created.headers.get("etag");
      expect(created.json()).to.deep.equal({ key: "a/b", created: true, etag, expires_at: null });
      const replaced = await t.api.put("/keys/a%2Fb", { v: 2 });
      expect(replaced.status).to.equal(200);
      expect(replaced.headers.get("etag")).to.not.equal(etag);
      expect(replaced.headers.get("location")).to.equal(null);
    });

    it("accepts scalar bodies", async () => {
      for (const value of ['"text"', "42", "true", "null"]) {
        await t.api.put("/keys/s", value);
        expect((await t.api.get("/keys/s")).text).to.equal(value);
      }
    });

    it("with expire_in sets Expires-At; re-creating an expired key is a 201", async () => {
      const response = await t.api.put("/keys/t?expire_in=5", "1");
      expect(response.headers.get("expires-at")).to.equal(new Date(t.clock.now() + 5000).toISOString());
      t.clock.advance(5000);
      expect((await t.api.put("/keys/t", "2")).status).to.equal(201);
    });

    it("If-None-Match: * creates only", async () => {
      expect((await t.api.put("/keys/once", "1", { "if-none-match": "*" })).status).to.equal(201);
      const second = await t.api.put("/keys/once", "2", { "if-none-match": "*" });
      expect(second.status).to.equal(412);
      expect(second.json()).to.deep.include({ type: "urn:kv:problem:precondition-failed" });
      expect((await t.api.get("/keys/once")).text).to.equal("1");
    });

    it("If-None-Match: * succeeds on an expired key", async () => {
      await t.api.put("/keys/once?expire_in=1", "1");
      t.clock.advance(1000);
      expect((await t.api.put("/keys/once", "2", { "if-none-match": "*" })).status).to.equal(201);
    });

    it("If-Match compares and sets: the current ETag wins once, a stale one gets 412", async () => {
      const etag = (await t.api.put("/keys/cas", "1")).headers.get("etag") as string;
      const first = await t.api.put("/keys/cas", "2", { "if-match": etag });
      expect(first.status).to.equal(200);
      expect((await t.api.put("/keys/cas", "3", { "if-match": etag })).status).to.equal(412);
      expect((await t.api.put("/keys/cas", "4", { "if-match": `"1", ${first.headers.get("etag")}` })).status).to.equal(200);
      expect((await t.api.get("/keys/cas")).text).to.equal("4");
    });

    it("If-Match fails on an absent key; If-Match: * requires a live key", async () => {
      expect((await t.api.put("/keys/none", "1", { "if-match": '"1"' })).status).to.equal(412);
      expect((await t.api.put("/keys/none", "1", { "if-match": "*" })).status).to.equal(412);
      await t.api.put("/keys/none", "1");
      expect((await t.api.put("/keys/none", "2", { "if-match": "*" })).status).to.equal(200);
    });

    it("rejects malformed conditional headers with 400", async () => {
      expect((await t.api.put("/keys/x", "1", { "if-match": "no-quotes" })).status).to.equal(400);
      expect((await t.api.put("/keys/x", "1", { "if-none-match": '"1"' })).status).to.equal(400);
      expect((await t.api.get("/keys/x")).status).to.equal(404);
    });

    it("rejects invalid JSON, non-JSON content types and bad expire_in", async () => {
      expect((await t.api.put("/keys/x", "{")).json()).to.deep.include({ status: 400, type: "urn:kv:problem:invalid-json" });
      expect((await t.api.put("/keys/x", "undefined")).status).to.equal(400);
      expect((await t.api.request("PUT", "/keys/x", { headers: { "content-type": "text/plain" }, body: "1" })).status).to.equal(415);
      expect((await t.api.put("/keys/x?expire_in=1.5", "1")).status).to.equal(400);
    });
  });

  describe("GET and HEAD /keys/{key}", () => {
    it("GET answers 404 problem+json for an absent key", async () => {
      const response = await t.api.get("/keys/nope");
      expect(response.status).to.equal(404);
      expect(response.headers.get("content-type")).to.equal("application/problem+json");
      expect(response.json()).to.deep.include({ type: "urn:kv:problem:key-not-found", title: "Key not found", status: 404 });
    });

    it("HEAD answers 200 with the GET headers and no body, 404 without body", async () => {
      const put = await t.api.put("/keys/h?expire_in=10", '"value"');
      const head = await t.api.head("/keys/h");
      expect(head.status).to.equal(200);
      expect(head.text).to.equal("");
      expect(head.headers.get("etag")).to.equal(put.headers.get("etag"));
      expect(head.headers.get("expires-at")).to.equal(put.headers.get("expires-at"));
      expect(head.headers.get("content-length")).to.equal("7");
      const missing = await t.api.head("/keys/missing");
      expect(missing.status).to.equal(404);
      expect(missing.text).to.equal("");
    });

    it("HEAD checks expiry exactly like GET, to the millisecond", async () => {
      await t.api.put("/keys/h?expire_in=2", "1");
      t.clock.advance(1999);
      expect((await t.api.head("/keys/h")).status).to.equal(200);
      t.clock.advance(1);
      expect((await t.api.head("/keys/h")).status).to.equal(404);
      expect((await t.api.get("/keys/h")).status).to.equal(404);
    });

    it("answers 304 to If-None-Match with the current ETag and 412 to a failing If-Match", async () => {
      const etag = (await t.api.put("/keys/c", "1")).headers.get("etag") as string;
      const notModified = await t.api.get("/keys/c", { "if-none-match": etag });
      expect(notModified.status).to.equal(304);
      expect(notModified.headers.get("etag")).to.equal(etag);
      expect((await t.api.get("/keys/c", { "if-none-match": '"0"' })).status).to.equal(200);
      expect((await t.api.get("/keys/c", { "if-match": '"0"' })).status).to.equal(412);
      expect((await t.api.get("/keys/c", { "if-match": etag })).status).to.equal(200);
    });
  });

  describe("DELETE /keys/{key}", () => {
    it("answers 204, then 404", async () => {
      await t.api.put("/keys/d", "1");
      const deleted = await t.api.delete("/keys/d");
      expect(deleted.status).to.equal(204);
      expect(deleted.text).to.equal("");
      expect((await t.api.delete("/keys/d")).status).to.equal(404);
      expect((await t.api.get("/keys/d")).status).to.equal(404);
    });

    it("an expired key is already gone", async () => {
      await t.api.put("/keys/d?expire_in=1", "1");
      t.clock.advance(1000);
      expect((await t.api.delete("/keys/d")).status).to.equal(404);
    });

    it("honours If-Match", async () => {
      const etag = (await t.api.put("/keys/d", "1")).headers.get("etag") as string;
      expect((await t.api.delete("/keys/d", { "if-match": '"0"' })).status).to.equal(412);
      expect((await t.api.delete("/keys/d", { "if-match": etag })).status).to.equal(204);
      expect((await t.api.delete("/keys/d", { "if-match": etag })).status).to.equal(412);
      expect((await t.api.delete("/keys/d", { "if-none-match": "*" })).status).to.equal(400);
    });
  });
});
