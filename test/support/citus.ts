import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A Citus cluster for tests. The suites of `npm test` use one given by
 * TEST_CITUS_URL (its coordinator's URL); the fault tests start their own
 * with the `citus-cluster` tool (CITUS_CLUSTER_TOOL, or
 * ../shared/tools/citus-cluster beside this checkout), to stop and kill
 * nodes. Without them the Citus suites skip (their titles say so), unless
 * REQUIRE_CITUS=1, which turns a missing cluster into a failure - CI sets it.
 */
export function citusTestUrl(): string | null {
  const url = process.env.TEST_CITUS_URL?.trim() || null;
  if (url === null && citusRequired()) throw new Error("REQUIRE_CITUS=1 but TEST_CITUS_URL is not set");
  return url;
}

export const CITUS_SKIP_REASON = "skipped: set TEST_CITUS_URL to run against a Citus cluster";
export const CITUS_TOOL_SKIP_REASON = "skipped: set CITUS_CLUSTER_TOOL to the citus-cluster tool to start Citus clusters";

function citusRequired(): boolean {
  return process.env.REQUIRE_CITUS === "1";
}

/** The citus-cluster tool, or null (which fails when REQUIRE_CITUS=1). */
export function citusClusterTool(): string | null {
  const candidates = [process.env.CITUS_CLUSTER_TOOL?.trim(), resolve(__dirname, "../../../../shared/tools/citus-cluster")];
  const tool = candidates.find((path): path is string => path !== undefined && path !== "" && existsSync(path)) ?? null;
  if (tool === null && citusRequired()) throw new Error("REQUIRE_CITUS=1 but the citus-cluster tool was not found (set CITUS_CLUSTER_TOOL)");
  return tool;
}

/** A node of a cluster: the coordinator or worker 1..N. */
export type CitusNode = "coordinator" | 1 | 2;

/**
 * A Citus cluster of a test's own (a coordinator and two workers, each a
 * PostgreSQL server on a loopback port), for tests that crash and restart
 * its nodes without touching the cluster of other suites.
 */
export class ThrowawayCitusCluster {
  private constructor(
    private readonly tool: string,
    readonly directory: string,
    readonly url: string,
    /** Worker K's port is workerPorts[K - 1]. */
    readonly workerPorts: readonly number[],
  ) {}

  static async create(tool: string): Promise<ThrowawayCitusCluster> {
    // A directory the tool creates itself: it runs the nodes as user postgres.
    const directory = join(tmpdir(), `kv-citus-${randomUUID()}`);
    const { stdout } = await run(tool, ["start", "--dir", directory, "--coordinator-port", "auto", "--workers", "2"], { timeout: 300_000 });
    const url = stdout.trim().split("\n").pop() ?? "";
    if (!url.startsWith("postgres://")) throw new Error(`citus-cluster start printed no URL: ${stdout}`);
    const facts = JSON.parse(readFileSync(join(directory, "cluster.json"), "utf8")) as { workers: { port: number }[] };
    return new ThrowawayCitusCluster(tool, directory, url, facts.workers.map((worker) => worker.port));
  }

  /** stop: fast shutdown; kill: SIGKILL of the node's postmaster and every process of it (a crash); start: (crash recovery and) ready. */
  async node(node: CitusNode, action: "stop" | "kill" | "start"): Promise<void> {
    await run(this.tool, ["node-ctl", "--dir", this.directory, String(node), action], { timeout: 120_000 });
  }

  async destroy(): Promise<void> {
    // Stops every node and removes the directory.
    await run(this.tool, ["stop", "--dir", this.directory], { timeout: 120_000 });
  }
}
