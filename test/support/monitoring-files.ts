import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { projectRoot } from "../../src/infrastructure/project-files";

/** Paths and parsed contents of what deploy/ ships for Prometheus and Grafana. */
export const DEPLOY = {
  prometheusDir: join(projectRoot(), "deploy", "prometheus"),
  prometheusConfig: join(projectRoot(), "deploy", "prometheus", "prometheus.yml"),
  alerts: join(projectRoot(), "deploy", "prometheus", "alerts.yml"),
  alertTests: join(projectRoot(), "deploy", "prometheus", "alerts.test.yml"),
  grafanaDir: join(projectRoot(), "deploy", "grafana"),
  dashboard: join(projectRoot(), "deploy", "grafana", "dashboards", "kv.json"),
};

export function readYaml<T>(path: string): T {
  return parse(readFileSync(path, "utf8")) as T;
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  return readYaml<{ groups: { rules: AlertRule[] }[] }>(DEPLOY.alerts).groups.flatMap((group) => group.rules);
}

export interface DashboardTarget {
  readonly expr: string;
  readonly refId: string;
  readonly legendFormat?: string;
  readonly datasource?: { type: string; uid: string };
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly datasource?: { type: string; uid: string };
  readonly targets?: DashboardTarget[];
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: DashboardPanel[];
  readonly templating: { list: { name: string; type: string; query: unknown; allValue?: string }[] };
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DEPLOY.dashboard, "utf8")) as Dashboard;
}

/** Every PromQL expression the project ships: alert rules and dashboard panels, each with where it comes from. */
export function shippedQueries(): { source: string; expr: string }[] {
  const alerts = alertRules().map((rule) => ({ source: `alert ${rule.alert}`, expr: rule.expr }));
  const panels = dashboard().panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ source: `panel "${panel.title}" ${target.refId}`, expr: target.expr })),
  );
  return [...alerts, ...panels];
}

/**
 * The dashboard's template variables as Grafana would expand them for one
 * job, all instances, and a Prometheus with a short scrape interval.
 */
export function expandDashboardVariables(expr: string, rateInterval = "1m"): string {
  return expr.replaceAll("$__rate_interval", rateInterval).replaceAll("$job", "kv").replaceAll("$instance", ".*");
}

export interface Selector {
  readonly metric: string;
  /** Label names the selector matches on. */
  readonly labels: string[];
}

const SELECTOR = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g;

/** The metric selectors of an expression (this project writes every one of them with braces). */
export function selectorsIn(expr: string): Selector[] {
  return [...expr.matchAll(SELECTOR)].map(([, metric, matchers]) => ({
    metric,
    labels: [...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map(([, label]) => label),
  }));
}

/** PromQL's functions, aggregations and keywords used in the shipped queries. */
const PROMQL_WORDS = new Set([
  "sum", "max", "min", "avg", "count", "rate", "increase", "irate", "histogram_quantile",
  "absent", "time", "vector", "and", "or", "unless", "bool", "by", "without", "on", "ignoring",
  "group_left", "group_right", "clamp_min", "clamp_max", "max_over_time", "min_over_time",
]);

/**
 * Identifiers left after removing selectors, strings, label lists and range
 * durations that are not PromQL words: metric names written without braces,
 * which selectorsIn would miss. Should be empty.
 */
export function bareNamesIn(expr: string): string[] {
  const rest = expr
    .replace(SELECTOR, " ")
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/(?<![a-zA-Z0-9_:])\d+(\.\d+)?(e[+-]?\d+)?/gi, " ");
  return [...rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map(([word]) => word).filter((word) => !PROMQL_WORDS.has(word));
}

/** Metrics only one storage adapter exports (by name prefix): a service on another adapter lacks them. */
const ADAPTER_METRICS: readonly (readonly [prefix: string, storage: string])[] = [
  ["kv_db_pool_", "postgres"],
  ["kv_storage_disk_", "pglite"],
];

/** Whether a service on `storage` exports `metric` (false only for another adapter's own metrics). */
export function exportedOn(storage: string, metric: string): boolean {
  const own = ADAPTER_METRICS.find(([prefix]) => metric.startsWith(prefix));
  return own === undefined || own[1] === storage;
}
