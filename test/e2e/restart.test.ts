import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ChildService, ServiceExitedError } from "../support/child-service";
import { POSTGRES_SKIP_REASON, postgresTestUrl, resetPostgres } from "../support/postgres";
import { temporaryDirectory } from "../support/test-storage";

const put = (base: string, target: string, body: string) =>
  fetch(base + target, { method: "PUT", headers: { "content-type": "application/json" }, body });

function describeDurability(storage: string, prepare: () => Promise<Record<string, string>>, cleanup: () => void | Promise<void>): void {
  describe(`durability across restarts: ${storage}`, function () {
    let env: Record<string, string>;
    before(async () => {
      env = { LOG_LEVEL: "info", ...(await prepare()) };
    });
    after(cleanup);

    it("keeps every key, value and expiry across SIGTERM and restart, and exits 0", async () => {
      const first = await ChildService.start(env);
      expect((await put(first.baseUrl, "/keys", '{"big": 12345678901234567890, "nested": {"a": [1e400]}}')).status).to.equal(201);
      const ttl = await put(first.baseUrl, "/keys/ttl?expire_in=3600", '"soon"');
      expect(await first.stop("SIGTERM")).to.equal(0);
      expect(first.logs.map((log) => log.message)).to.include.members(["signal received", "shutting down", "stopped"]);

      const second = await ChildService.start(env);
      try {
        expect(await (await fetch(`${second.baseUrl}/keys/big`)).text()).to.equal("12345678901234567890");
        expect(await (await fetch(`${second.baseUrl}/keys/nested`)).text()).to.equal('{"a":[1e400]}');
        const again = await fetch(`${second.baseUrl}/keys/ttl`);
        expect(again.headers.get("expires-at")).to.equal(ttl.headers.get("expires-at"));
        expect(again.headers.get("etag")).to.equal(ttl.headers.get("etag"));
      } finally {
        expect(await second.stop("SIGTERM")).to.equal(0);
      }
    });

    it("keeps every acknowledged write after SIGKILL", async () => {
      const first = await ChildService.start(env);
      const acknowledged: string[] = [];
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const response = await put(first.baseUrl, `/keys/acked-${i}`, String(i));
          if (response.status === 201 || response.status === 200) acknowledged.push(`acked-${i}`);
        }),
      );
      expect(await first.stop("SIGKILL")).to.equal(null);

      const second = await ChildService.start(env);
      try {
        const stored = (await (await fetch(`${second.baseUrl}/keys?filter=acked-$`)).json()) as Record<string, number>;
        expect(acknowledged).to.have.length(200);
        for (const key of acknowledged) expect(stored, key).to.have.property(key);
      } finally {
        await second.stop("SIGTERM");
      }
    });
  });
}

const pgliteDir = temporaryDirectory();
describeDurability("pglite", () => Promise.resolve({ STORAGE: "pglite", DATA_DIR: pgliteDir.path }), () => pgliteDir.remove());

const url = postgresTestUrl();
if (url === null) {
  describe(`durability across restarts: postgres (${POSTGRES_SKIP_REASON})`, () => it.skip(POSTGRES_SKIP_REASON));
} else {
  describeDurability(
    "postgres",
    async () => {
      await resetPostgres(url);
      return { STORAGE: "postgres", DATABASE_URL: url };
    },
    () => undefined,
  );
}

describe("startup failures", function () {

  it("a second process on the same PGlite data directory exits with a clear error; the first keeps serving", async () => {
    const directory = temporaryDirectory();
    const first = await ChildService.start({ STORAGE: "pglite", DATA_DIR: directory.path });
    try {
      const error = await ChildService.start({ STORAGE: "pglite", DATA_DIR: directory.path }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(ServiceExitedError);
      const failure = (error as ServiceExitedError).logs.find((log) => log.message === "startup failed");
      expect(failure?.error).to.match(/is in use by process \d+ on host/);
      expect((error as ServiceExitedError).code).to.equal(1);
      expect((await put(first.baseUrl, "/keys/still-here", "1")).status).to.equal(201);
    } finally {
      await first.stop();
      directory.remove();
    }
  });

  it("a server whose PGlite data-directory lock is taken by another process stops serving and exits 70", async () => {
    const directory = temporaryDirectory();
    const service = await ChildService.start({ STORAGE: "pglite", DATA_DIR: directory.path });
    try {
      writeFileSync(join(directory.path, "kv.lock"), JSON.stringify({ pid: 1, host: "elsewhere", token: "someone-else" }));
      // The lock is checked every 2 s; the bound leaves room for a busy machine.
      const code = await Promise.race([service.exit(), new Promise((resolve) => setTimeout(resolve, 120_000, "still running"))]);
      expect(code).to.equal(70);
      const lost = service.logs.find((log) => log.message === "storage lost; exiting");
      expect(lost?.error).to.match(/data directory lock was lost/);
    } finally {
      await service.stop();
      directory.remove();
    }
  });

  it("an unknown STORAGE or postgres without DATABASE_URL exits at once with a clear message", async () => {
    for (const [env, message] of [
      [{ STORAGE: "redis" }, /STORAGE=redis is not one of/],
      [{ STORAGE: "postgres" }, /STORAGE=postgres needs DATABASE_URL/],
    ] as const) {
      const error = (await ChildService.start(env).then(
        () => null,
        (e: unknown) => e,
      )) as ServiceExitedError;
      expect(error.code).to.equal(78);
      expect(error.logs.find((log) => log.message === "invalid configuration")?.error).to.match(message);
    }
  });

  it("retries an unreachable database with backoff, then gives up after DB_STARTUP_TIMEOUT_SECONDS", async () => {
    const started = Date.now();
    const error = (await ChildService.start({ DATABASE_URL: "postgres://kv@127.0.0.1:1/kv", DB_STARTUP_TIMEOUT_SECONDS: "2" }).then(
      () => null,
      (e: unknown) => e,
    )) as ServiceExitedError;
    expect(error.code).to.equal(1);
    expect(error.logs.filter((log) => log.message === "database unreachable, retrying").length).to.be.at.least(2);
    expect(error.logs.find((log) => log.message === "startup failed")?.error).to.equal("PostgreSQL is unreachable");
    // Gave up after about 2 s, not after the default 60 s (room left for a loaded machine).
    expect(Date.now() - started).to.be.below(40_000);
  });

  it("memory storage warns at startup that data will not survive a restart; SIGINT stops it with exit 0", async () => {
    const service = await ChildService.start({ STORAGE: "memory" });
    expect(await service.stop("SIGINT")).to.equal(0);
    expect(service.logs.find((log) => log.level === "warn")?.message).to.match(/lost when the process stops/);
    expect(service.logs.find((log) => log.message === "listening")).to.deep.include({ storage: "memory" });
  });
});
