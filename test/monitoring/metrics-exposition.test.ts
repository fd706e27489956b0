import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../src/infrastructure/project-files";
import { exportedOn } from "../support/monitoring-files";
import { postgresTestUrl, resetPostgres } from "../support/postgres";
import { PROMETHEUS_SKIP_REASON, prometheusBinaries, promtool } from "../support/promtool";
import { startTestService, type TestService } from "../support/test-service";
import { testConfig } from "../support/test-storage";

// prom-client's default gauges are named *_total, which promtool's linter
// reserves for counters. They are the only lint findings we accept.
const ACCEPTED_LINT = /^nodejs_active_(handles|requests|resources)_total (non-counter metrics should not have "_total" suffix)$/;

/** Metric names in the first column of the metric catalogue in docs/operations.md (wildcard rows left out). */
function documentedMetrics(): string[] {
  const doc = readFileSync(join(projectRoot(), "docs", "operations.md"), "utf8");
  const section = doc.slice(doc.indexOf("### Metric catalogue"), doc.indexOf("\n## ", doc.indexOf("### Metric catalogue")));
  return [...section.matchAll(/^\| (`[^|]+`) \|/gm)].flatMap(([, cell]) => [...cell.matchAll(/`([a-z_:]+)`/g)].map(([, name]) => name));
}

describe("metrics exposition", () => {
  let t: TestService;
  const postgres = postgresTestUrl();
  before(async () => {
    // Scrape a PostgreSQL-backed service when one is available: it also exports the pool gauges.
    if (postgres !== null) await resetPostgres(postgres);
    t = await startTestService({}, postgres === null ? undefined : testConfig({ STORAGE: "postgres", DATABASE_URL: postgres }));
    await t.api.put("/keys?expire_in=60", { a: 1, b: 2 });
    await t.api.get("/keys/a");
    await t.api.get("/keys/missing");
    await t.api.request("POST", "/keys");
    await t.api.get("/keys?filter=a$");
  });
  after(() => t?.stop());

  it("exports every metric the catalogue in docs/operations.md documents, and documents every kv_ and http_ metric it exports", async () => {
    const scrape = (await t.api.get("/metrics")).text;
    const exported = [...scrape.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name);
    const documented = documentedMetrics();
    expect(documented.length).to.be.at.least(15);
    const storage = postgres === null ? "memory" : "postgres";
    for (const name of documented) if (exportedOn(storage, name)) expect(exported, `${name} is documented`).to.include(name);
    for (const name of exported.filter((name) => /^(kv|http)_/.test(name))) expect(documented, `${name} is exported`).to.include(name);
  });

  const binaries = prometheusBinaries();
  if (!binaries.available && !binaries.required) {
    it.skip(`passes promtool check metrics (${PROMETHEUS_SKIP_REASON})`);
  } else {
    it("passes promtool check metrics, with no lint findings beyond prom-client's default gauges", async () => {
      expect(binaries.available, "REQUIRE_PROMETHEUS=1 but promtool is not installed").to.equal(true);
      const result = promtool(["check", "metrics"], (await t.api.get("/metrics")).text);
      const findings = result.output
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "");
      const unexpected = findings.filter((line) => !ACCEPTED_LINT.test(line));
      expect(unexpected, `promtool output:\n${findings.join("\n")}`).to.deep.equal([]);
      expect(result.status, "exit 0 (clean) or 3 (only the accepted lint warnings)").to.be.oneOf([0, 3]);
    });
  }
});
