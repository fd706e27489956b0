import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { ChildService } from "../support/child-service";
import { DEPLOY, alertRules, expandDashboardVariables, exportedOn, readYaml, selectorsIn, shippedQueries } from "../support/monitoring-files";
import { POSTGRES_SKIP_REASON, postgresTestUrl, resetPostgres } from "../support/postgres";
import { PROMETHEUS_SKIP_REASON, prometheusBinaries } from "../support/promtool";
import { temporaryDirectory } from "../support/test-storage";
import { freePort } from "../support/free-port";

interface ScrapeConfig {
  global?: Record<string, string>;
  rule_files?: string[];
  scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A histogram bucket's upper bound as a number. */
const bound = (le: string) => (le === "+Inf" ? Infinity : Number(le));

/** Retries `check` until it stops throwing, or rethrows its last error at the deadline. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

const url = postgresTestUrl();
const binaries = prometheusBinaries();
const skipReason = url === null ? POSTGRES_SKIP_REASON : !binaries.available && !binaries.required ? PROMETHEUS_SKIP_REASON : null;

if (skipReason !== null) {
  describe(`a real Prometheus scraping the service (${skipReason})`, () => it.skip(skipReason));
} else {
  /**
   * The Debian `prometheus` binary on loopback, with the repo's scrape config
   * and alert rules, scraping the built server (on PostgreSQL, so every metric
   * the dashboard uses exists). Proves the integration against Prometheus's
   * own parser, not our reading of the exposition format.
   */
  describe("a real Prometheus scraping the service", function () {
    let service: ChildService;
    let prometheus: ChildProcess;
    let prometheusLog = "";
    let api: string;
    let target: string;
    const workDir = temporaryDirectory("kv-prometheus-");

    async function query(expr: string): Promise<Sample[]> {
      const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: Sample[] } };
      if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
      return body.data?.result ?? [];
    }

    async function single(expr: string): Promise<Sample> {
      const result = await query(expr);
      if (result.length !== 1) throw new Error(`${expr}: expected one series, got ${JSON.stringify(result)}`);
      return result[0];
    }

    before(async () => {
      expect(binaries.available, "REQUIRE_PROMETHEUS=1 but prometheus is not installed").to.equal(true);
      await resetPostgres(url!);
      service = await ChildService.start({ STORAGE: "postgres", DATABASE_URL: url!, SWEEP_INTERVAL_SECONDS: "1", LOG_LEVEL: "info" });
      target = `127.0.0.1:${service.port}`;
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${service.baseUrl}${path}`, {
          method,
          ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
        });
      await call("PUT", "/keys", { a: 1, b: 2, c: 3 });
      await call("PUT", "/keys?expire_in=1", { short1: 1, short2: 2 });
      for (const key of ["a", "b", "c"]) await call("GET", `/keys/${key}`);
      await call("GET", "/keys/missing");
      await call("GET", "/keys?filter=$");
      await call("DELETE", "/keys/c");
      await call("POST", "/keys");

      // The repo's config, changed only where a test must: the target, the
      // rule file's path and a 1 s interval instead of 15 s.
      const config = readYaml<ScrapeConfig>(DEPLOY.prometheusConfig);
      expect(config.scrape_configs.map((job) => job.job_name)).to.deep.equal(["kv"]);
      config.global = { ...config.global, scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" };
      config.rule_files = [DEPLOY.alerts];
      config.scrape_configs[0].static_configs = [{ targets: [target] }];
      writeFileSync(join(workDir.path, "prometheus.yml"), stringify(config));

      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      prometheus = spawn(
        "prometheus",
        [
          `--config.file=${join(workDir.path, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(workDir.path, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--log.level=warn",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      prometheus.stderr?.on("data", (chunk: Buffer) => (prometheusLog += chunk.toString()));
      await eventually(async () => {
        if (prometheus.exitCode !== null) throw new Error(`prometheus exited with ${prometheus.exitCode}: ${prometheusLog}`);
        expect((await fetch(`${api}/-/ready`)).status).to.equal(200);
      });
    });

    after(async () => {
      if (prometheus && prometheus.exitCode === null) {
        const exited = new Promise((resolve) => prometheus.once("exit", resolve));
        prometheus.kill("SIGTERM");
        await exited;
      }
      await service?.stop();
      workDir.remove();
    });

    it("scrapes the service with the repo's job: up == 1 for the target", async () => {
      const up = await eventually(() => single('up{job="kv"}'));
      expect(up.metric).to.deep.equal({ __name__: "up", job: "kv", instance: target });
      expect(up.value[1]).to.equal("1");
    });

    it("receives the request counter with method, route template and status labels", async () => {
      const hits = await eventually(() => single('http_requests_total{job="kv", method="GET", route="/keys/:key", status="200"}'));
      expect(hits.metric).to.deep.equal({
        __name__: "http_requests_total",
        job: "kv",
        instance: target,
        method: "GET",
        route: "/keys/:key",
        status: "200",
      });
      expect(hits.value[1]).to.equal("3");
      expect((await single('http_requests_total{job="kv", method="POST", route="/keys", status="405"}')).value[1]).to.equal("1");
      expect((await single('http_requests_total{job="kv", method="GET", route="/keys/:key", status="404"}')).value[1]).to.equal("1");
    });

    it("receives the latency histogram: cumulative buckets up to +Inf, _sum and _count", async () => {
      const buckets = await query('http_request_duration_seconds_bucket{job="kv", method="GET", route="/keys/:key", status="200"}');
      const counts = buckets.map((sample) => [sample.metric.le, Number(sample.value[1])] as const).sort((a, b) => bound(a[0]) - bound(b[0]));
      expect(counts.map(([le]) => le)).to.include.members(["0.001", "0.01", "0.1", "1", "+Inf"]);
      for (let i = 1; i < counts.length; i++) expect(counts[i][1]).to.be.at.least(counts[i - 1][1]);
      expect(counts[counts.length - 1]).to.deep.equal(["+Inf", 3]);
      const count = await single('http_request_duration_seconds_count{job="kv", method="GET", route="/keys/:key", status="200"}');
      expect(count.value[1]).to.equal("3");
      expect(Number((await single('http_request_duration_seconds_sum{job="kv", method="GET", route="/keys/:key", status="200"}')).value[1])).to.be.above(0);
      const p99 = await eventually(async () => {
        const sample = await single('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="kv", route="/metrics"}[30s])))');
        expect(Number(sample.value[1])).to.be.above(0);
        return Number(sample.value[1]);
      });
      expect(p99).to.be.below(10);
    });

    it("sees expired keys purged by the sweeper and the keyspace gauges", async () => {
      await eventually(async () => expect((await single('kv_expired_keys_purged_total{job="kv"}')).value[1]).to.equal("2"));
      await eventually(async () => expect((await single('kv_keys{job="kv"}')).value[1]).to.equal("2"));
      expect((await single('kv_storage_up{job="kv"}')).value[1]).to.equal("1");
      expect((await single('kv_expired_keys{job="kv"}')).value[1]).to.equal("0");
    });

    it("has every metric and label the alerts and the dashboard select on, from this real scrape", async () => {
      const response = await fetch(`${api}/api/v1/series?${new URLSearchParams([["match[]", '{job="kv"}']]).toString()}`);
      const series = ((await response.json()) as { data: Record<string, string>[] }).data;
      const labelsOf = new Map<string, Set<string>>();
      for (const labels of series) {
        const known = labelsOf.get(labels.__name__) ?? new Set<string>();
        for (const name of Object.keys(labels)) known.add(name);
        labelsOf.set(labels.__name__, known);
      }
      for (const { source, expr } of shippedQueries()) {
        // The PGlite-only disk gauges are checked against a PGlite service by the dashboard test.
        for (const selector of selectorsIn(expr).filter((candidate) => exportedOn("postgres", candidate.metric))) {
          const labels = labelsOf.get(selector.metric);
          expect(labels, `${source}: ${selector.metric} was scraped`).to.not.equal(undefined);
          for (const label of selector.labels) expect([...labels!], `${source}: ${selector.metric} has label ${label}`).to.include(label);
        }
      }
    });

    it("runs every dashboard query and gets data for each", async () => {
      const panels = shippedQueries().filter((query) => query.source.startsWith("panel"));
      for (const { source, expr } of panels) {
        await eventually(async () => expect(await query(expandDashboardVariables(expr)), source).to.not.be.empty, 120_000);
      }
    });

    it("loads the alert rules, evaluates them without errors, and none fires on a healthy service", async () => {
      const rules = await eventually(async () => {
        const response = await fetch(`${api}/api/v1/rules?type=alert`);
        const body = (await response.json()) as { data: { groups: { rules: { name: string; health: string; state: string; lastError?: string }[] }[] } };
        const loaded = body.data.groups.flatMap((group) => group.rules);
        for (const rule of loaded) expect(rule.health, `${rule.name}: ${rule.lastError}`).to.equal("ok");
        return loaded;
      });
      expect(rules.map((rule) => rule.name)).to.have.members(alertRules().map((rule) => rule.alert));
      for (const rule of rules) expect(rule.state, rule.name).to.equal("inactive");
    });
  });
}
