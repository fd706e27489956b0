import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { postgresTestUrl, resetPostgres } from "../support/postgres";
import { startTestService, type TestService } from "../support/test-service";
import { testConfig } from "../support/test-storage";

const promtool = spawnSync("promtool", ["--version"], { encoding: "utf8" }).status === 0;
const required = process.env.REQUIRE_PROMTOOL === "1";
const SKIP_REASON = "skipped: promtool is not installed (apt-get install --no-install-recommends prometheus)";

// prom-client's default gauges are named *_total, which promtool's linter
// reserves for counters. They are the only lint findings we accept.
const ACCEPTED_LINT = /^nodejs_active_(handles|requests|resources)_total (non-counter metrics should not have "_total" suffix)$/;

if (!promtool && !required) {
  describe(`metrics exposition passes promtool check metrics (${SKIP_REASON})`, () => it.skip(SKIP_REASON));
} else {
  describe("metrics exposition passes promtool check metrics", () => {
    let t: TestService;
    before(async () => {
      expect(promtool, "REQUIRE_PROMTOOL=1 but promtool is not installed").to.equal(true);
      // Scrape a PostgreSQL-backed service when one is available: it also exports the pool gauges.
      const url = postgresTestUrl();
      if (url !== null) await resetPostgres(url);
      t = await startTestService({}, url === null ? undefined : testConfig({ STORAGE: "postgres", DATABASE_URL: url }));
      await t.api.put("/keys?expire_in=60", { a: 1, b: 2 });
      await t.api.get("/keys/a");
      await t.api.get("/keys/missing");
      await t.api.request("POST", "/keys");
      await t.api.get("/keys?filter=a$");
    });
    after(() => t?.stop());

    it("is valid exposition format with no lint findings beyond prom-client's default gauges", async () => {
      const scrape = (await t.api.get("/metrics")).text;
      const result = spawnSync("promtool", ["check", "metrics"], { input: scrape, encoding: "utf8" });
      const findings = `${result.stdout}${result.stderr}`
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "");
      const unexpected = findings.filter((line) => !ACCEPTED_LINT.test(line));
      expect(unexpected, `promtool output:\n${findings.join("\n")}`).to.deep.equal([]);
      expect(result.status, "exit 0 (clean) or 3 (only the accepted lint warnings)").to.be.oneOf([0, 3]);
    });

    it("exports every metric the service documents", async () => {
      const scrape = (await t.api.get("/metrics")).text;
      const names = [
        "http_requests_total",
        "http_request_duration_seconds",
        "kv_operations_total",
        "kv_expired_keys_purged_total",
        "kv_sweeper_runs_total",
        "kv_sweeper_last_success_timestamp_seconds",
        "kv_storage_errors_total",
        "kv_storage_operation_duration_seconds",
        "kv_build_info",
        "process_resident_memory_bytes",
        "nodejs_eventloop_lag_seconds",
      ];
      if (postgresTestUrl() !== null) names.push("kv_db_pool_connections", "kv_db_pool_idle_connections", "kv_db_pool_waiting_requests", "kv_db_pool_max_connections");
      for (const name of names) expect(scrape, name).to.include(`# TYPE ${name} `);
    });
  });
}
