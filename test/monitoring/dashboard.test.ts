import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../src/infrastructure/project-files";
import type { AppConfig } from "../../src/infrastructure/config/config";
import { DEPLOY, bareNamesIn, dashboard, exportedOn, readYaml, selectorsIn, shippedQueries } from "../support/monitoring-files";
import { POSTGRES_SKIP_REASON, postgresTestUrl, resetPostgres } from "../support/postgres";
import { startTestService } from "../support/test-service";
import { temporaryDirectory, testConfig } from "../support/test-storage";

interface Datasources {
  apiVersion: number;
  datasources: { name: string; uid: string; type: string; url: string; isDefault?: boolean }[];
}
interface DashboardProviders {
  apiVersion: number;
  providers: { name: string; type: string; options: { path: string } }[];
}

/** Metric names a /metrics text exposes, histograms with their _bucket, _sum and _count series. */
function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
  }
  return names;
}

// Grafana is not packaged for this platform, so the dashboard is validated
// here (structure, provisioning paths, names) and its queries are run against
// a real Prometheus in prometheus-scrape.test.ts.
describe("Grafana provisioning and dashboard", () => {
  const board = dashboard();
  const panels = board.panels.filter((panel) => panel.type !== "row");

  it("provisions the compose Prometheus as the default datasource", () => {
    const { apiVersion, datasources } = readYaml<Datasources>(join(DEPLOY.grafanaDir, "provisioning", "datasources", "prometheus.yml"));
    expect(apiVersion).to.equal(1);
    expect(datasources).to.have.length(1);
    expect(datasources[0]).to.deep.include({ uid: "prometheus", type: "prometheus", url: "http://prometheus:9090", isDefault: true });
  });

  it("provisions dashboards from the directory the compose file mounts deploy/grafana/dashboards at", () => {
    const { providers } = readYaml<DashboardProviders>(join(DEPLOY.grafanaDir, "provisioning", "dashboards", "kv.yml"));
    const compose = readFileSync(join(projectRoot(), "docker-compose.yml"), "utf8");
    expect(providers).to.have.length(1);
    expect(providers[0].type).to.equal("file");
    expect(compose).to.include(`./deploy/grafana/dashboards:${providers[0].options.path}:ro`);
    expect(compose).to.include("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro");
  });

  it("has a stable uid, unique panel ids and a layout without overlaps inside 24 columns", () => {
    expect(board.uid).to.equal("kv-overview");
    const ids = board.panels.map((panel) => panel.id);
    expect(new Set(ids).size).to.equal(ids.length);
    const cells = new Set<string>();
    for (const { title, gridPos } of board.panels) {
      expect(gridPos.x + gridPos.w, title).to.be.at.most(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps another panel at ${x},${y}`).to.equal(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it("gives every panel a description, the datasource variable and queries with unique refIds", () => {
    expect(panels.length).to.be.at.least(15);
    for (const panel of panels) {
      expect(panel.description, panel.title).to.be.a("string").and.not.equal("");
      expect(panel.datasource, panel.title).to.deep.equal({ type: "prometheus", uid: "${datasource}" });
      const targets = panel.targets ?? [];
      expect(targets, panel.title).to.not.be.empty;
      expect(new Set(targets.map((target) => target.refId)).size, panel.title).to.equal(targets.length);
      for (const target of targets) expect(target.datasource, panel.title).to.deep.equal(panel.datasource);
    }
  });

  it("defines every template variable its queries use", () => {
    const defined = new Set(board.templating.list.map((variable) => variable.name));
    expect([...defined]).to.have.members(["datasource", "job", "instance"]);
    for (const { source, expr } of shippedQueries().filter((query) => query.source.startsWith("panel"))) {
      for (const [, name] of expr.matchAll(/\$(\w+)/g)) expect(name === "__rate_interval" || defined.has(name), `${source} uses $${name}`).to.equal(true);
    }
  });

  it("covers what an operator needs a dashboard to show", () => {
    const exprs = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)).join("\n");
    for (const metric of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "kv_operations_total",
      "kv_expired_keys_purged_total",
      "kv_storage_operation_duration_seconds_bucket",
      "kv_storage_errors_total",
      "kv_db_pool_waiting_requests",
      "nodejs_eventloop_lag_p99_seconds",
      "process_resident_memory_bytes",
    ]) {
      expect(exprs, metric).to.include(`${metric}{`);
    }
    for (const quantile of ["0.5", "0.95", "0.99"]) expect(exprs).to.include(`histogram_quantile(${quantile},`);
  });

  it("writes every metric selector of the dashboard and the alerts with braces and a job matcher", () => {
    for (const { source, expr } of shippedQueries()) {
      expect(bareNamesIn(expr), `${source}: names outside a selector`).to.deep.equal([]);
      const selectors = selectorsIn(expr);
      expect(selectors, source).to.not.be.empty;
      for (const selector of selectors) expect(selector.labels, `${source}: ${selector.metric}`).to.include("job");
    }
  });

  const url = postgresTestUrl();
  const title = "names only metrics that a running service exports (pool gauges need PostgreSQL storage, disk gauges PGlite)";
  if (url === null) {
    it.skip(`${title} (${POSTGRES_SKIP_REASON})`);
  } else {
    it(title, async () => {
      await resetPostgres(url);
      const exposedBy = async (config: AppConfig) => {
        const service = await startTestService({}, config);
        try {
          return exposedNames((await service.api.get("/metrics")).text);
        } finally {
          await service.stop();
        }
      };
      const directory = temporaryDirectory();
      try {
        const exposed = {
          postgres: await exposedBy(testConfig({ STORAGE: "postgres", DATABASE_URL: url })),
          pglite: await exposedBy(testConfig({ STORAGE: "pglite", DATA_DIR: directory.path })),
        };
        for (const { source, expr } of shippedQueries()) {
          for (const { metric } of selectorsIn(expr)) {
            // `up` is the one series Prometheus itself adds to every target.
            if (metric === "up") continue;
            for (const [storage, names] of Object.entries(exposed)) {
              if (exportedOn(storage, metric)) expect(names.has(metric), `${source} names ${metric}, which a service on ${storage} exports`).to.equal(true);
            }
          }
        }
      } finally {
        directory.remove();
      }
    });
  }
});
