import { spawnSync } from "node:child_process";

/**
 * Prometheus's own binaries (Debian's `prometheus` package). Without them the
 * suites that need them skip, saying why - unless REQUIRE_PROMETHEUS=1, which
 * CI sets, turns their absence into a failure.
 */
export function prometheusBinaries(): { available: boolean; required: boolean } {
  const has = (command: string) => spawnSync(command, ["--version"], { encoding: "utf8" }).status === 0;
  return { available: has("promtool") && has("prometheus"), required: process.env.REQUIRE_PROMETHEUS === "1" };
}

export const PROMETHEUS_SKIP_REASON = "skipped: promtool/prometheus are not installed (apt-get install --no-install-recommends prometheus)";

/** Runs promtool; resolves to its exit status and combined output. */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { encoding: "utf8", ...(input === undefined ? {} : { input }) });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
