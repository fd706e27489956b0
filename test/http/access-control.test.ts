import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { temporaryDirectory } from "../support/test-storage";
import { useTestService } from "../support/test-service";

const TOKEN = "first-token-0123456789abcdef";
const FILE_TOKEN = "file-token-0123456789abcdef";
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("access control with API_TOKEN / API_TOKENS_FILE", () => {
  const directory = temporaryDirectory();
  after(() => directory.remove());

  describe("tokens set, /metrics open (the default)", () => {
    const t = useTestService(
      () => {
        const file = join(directory.path, "tokens");
        writeFileSync(file, `# one per line\n${FILE_TOKEN}\n`);
        return Promise.resolve({ API_TOKEN: TOKEN, API_TOKENS_FILE: file });
      },
      { emptyBeforeEach: true },
    );

    it("answers 401 + WWW-Authenticate + problem+json without a token, on every /keys route", async () => {
      for (const [method, target] of [["GET", "/keys"], ["GET", "/keys?watch=true"], ["PUT", "/keys"], ["DELETE", "/keys"], ["GET", "/keys/a"], ["PUT", "/keys/a"], ["DELETE", "/keys/a"]]) {
        const response = await t.api.request(method, target, { headers: { "content-type": "application/json" }, body: method === "PUT" ? '{"a":1}' : undefined });
        expect(response.status, `${method} ${target}`).to.equal(401);
        expect(response.headers.get("www-authenticate")).to.equal('Bearer realm="kv"');
        expect(response.json()).to.deep.include({ type: "urn:kv:problem:unauthorized", status: 401 });
      }
      expect((await t.api.head("/keys/a")).status).to.equal(401);
    });

    it("answers 401 with error=invalid_token for a wrong token, a token's prefix, or another scheme", async () => {
      for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}`, `Bearer`, TOKEN]) {
        const response = await t.api.get("/keys/a", { authorization });
        expect(response.status, authorization).to.equal(401);
      }
      expect((await t.api.get("/keys/a", bearer("wrong-token-0123456789abcdef"))).headers.get("www-authenticate")).to.equal('Bearer realm="kv", error="invalid_token"');
    });

    it("accepts every configured token (either scheme case) and nothing is written by a refused request", async () => {
      expect((await t.api.put("/keys/a", "1", bearer(TOKEN))).status).to.equal(201);
      expect((await t.api.put("/keys/b", "2")).status).to.equal(401);
      expect((await t.api.get("/keys", bearer(FILE_TOKEN))).json()).to.deep.equal({ a: 1 });
      expect((await t.api.get("/keys/a", { authorization: `bearer ${FILE_TOKEN}` })).text).to.equal("1");
    });

    it("keeps /healthz, /readyz, /openapi.json and /metrics open", async () => {
      for (const target of ["/healthz", "/readyz", "/openapi.json", "/metrics"]) expect((await t.api.get(target)).status, target).to.equal(200);
    });
  });

  describe("METRICS_AUTH=token", () => {
    const t = useTestService(() => Promise.resolve({ API_TOKEN: TOKEN, METRICS_AUTH: "token" }), { emptyBeforeEach: false });

    it("needs the token for /metrics too, and still not for the probes", async () => {
      expect((await t.api.get("/metrics")).status).to.equal(401);
      expect((await t.api.get("/metrics", bearer(TOKEN))).status).to.equal(200);
      expect((await t.api.get("/healthz")).status).to.equal(200);
    });
  });

  describe("no token configured", () => {
    const t = useTestService(() => Promise.resolve({}), { emptyBeforeEach: true });

    it("leaves /keys open and ignores an Authorization header", async () => {
      expect((await t.api.put("/keys/a", "1")).status).to.equal(201);
      expect((await t.api.get("/keys/a", bearer("anything-at-all-0123456789"))).status).to.equal(200);
    });
  });
});
