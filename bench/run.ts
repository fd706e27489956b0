import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { databaseNodes, nodeCpuSeconds, type DatabaseNode } from "./database-nodes";
import { cpuSeconds, memoryMb } from "./process-stats";
import { INFIX_FILTER, PREFIX_FILTER, SCALE_KEYS, fullListing, loadScaleKeys, rawCursorRead, sequentialLatency, timePurge, writeExpiringKeys } from "./scale";
import { KEY_COUNT, POINT_WORKLOADS, keyName } from "./workloads";
import { wrkScript } from "./wrk-script";
import { freePort } from "../test/support/free-port";
import { withClient } from "../test/support/postgres";

/**
 * `npm run bench`: the service against hand-written baselines, interleaved in
 * one run (kv, then each baseline, round after round), so that machine noise
 * hits all of them alike. Servers run on core 1 and the load generator on
 * core 0 when `taskset` and two cores are available.
 *
 * Settings (environment): BENCH_STORAGE (postgres,pglite,memory), BENCH_DURATION
 * seconds per run (10), BENCH_ROUNDS (3, the median is reported),
 * BENCH_CONNECTIONS (64), BENCH_WARMUP seconds (2), BENCH_WORKLOADS (a comma
 * list of workload names; all by default), BENCH_SCALE (storages that also
 * get the 1,000,000-key listing workloads; "postgres"), BENCH_DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/kv_bench, created if missing),
 * BENCH_CITUS_URL (the coordinator of a Citus cluster on this machine, for
 * the storage "citus": kv with STORAGE=postgres on it; its kv tables are
 * dropped first). For storages on a database, each row also gives the CPU
 * the database servers used per request (PostgreSQL, or the coordinator and
 * each worker), read from /proc, so the servers must run on this machine.
 */

const DIST = join(__dirname, "..");
const settings = {
  storages: (process.env.BENCH_STORAGE ?? "postgres,pglite,memory").split(","),
  duration: Number(process.env.BENCH_DURATION ?? 10),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
  warmup: Number(process.env.BENCH_WARMUP ?? 2),
  workloads: process.env.BENCH_WORKLOADS?.split(",") ?? null,
  scale: (process.env.BENCH_SCALE ?? "postgres").split(",").filter((name) => name !== ""),
  databaseUrl: process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/kv_bench",
  citusUrl: process.env.BENCH_CITUS_URL ?? null,
};
const pinned = spawnSync("taskset", ["-c", "0", "true"]).status === 0 && (spawnSync("nproc").stdout?.toString().trim() ?? "1") !== "1";
const useWrk = spawnSync("wrk", ["--version"]).error === undefined;
const scripts = mkdtempSync(join(tmpdir(), "kv-bench-"));
const SERVER_CORE = ["taskset", "-c", "1"];
const LOAD_CORE = ["taskset", "-c", "0"];

interface Running {
  readonly name: string;
  readonly url: string;
  readonly process: ChildProcess;
}

interface Measurement {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuPerRequestUs: number;
  readonly rssMb: number;
  readonly errors: number;
  /** CPU µs per request of each database server, in the order of databaseNodes(). */
  readonly databaseCpuUs: readonly number[];
}

function command(args: string[], core: string[]): [string, string[]] {
  const full = pinned ? [...core, ...args] : args;
  return [full[0], full.slice(1)];
}

async function startServer(name: string, script: string, env: Record<string, string>, readyPath: string): Promise<Running> {
  const port = await freePort();
  const [file, args] = command([process.execPath, script], SERVER_CORE);
  const child = spawn(file, args, { env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST: "127.0.0.1" }, stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    // kv answers 503 until its storage is open; the baselines answer anything at once.
    const status = await fetch(url + readyPath).then(
      (response) => response.status,
      () => null,
    );
    if (status !== null && status !== 503) return { name, url, process: child };
    if (Date.now() > deadline) throw new Error(`${name} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopServer(server: Running): Promise<void> {
  if (server.process.exitCode !== null) return;
  const exited = new Promise((resolve) => server.process.once("exit", resolve));
  server.process.kill("SIGTERM");
  await exited;
}

async function preload(server: Running): Promise<void> {
  for (let start = 0; start < KEY_COUNT; start += 1000) {
    const members = Array.from({ length: Math.min(1000, KEY_COUNT - start) }, (_, i) => `"${keyName(start + i)}":{"n":${start + i},"tag":"bench"}`);
    const response = await fetch(`${server.url}/keys`, { method: "PUT", body: `{${members.join(",")}}`, headers: { "content-type": "application/json" } });
    if (!response.ok) throw new Error(`preload of ${server.name} failed: ${response.status}`);
  }
}

interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/**
 * Runs the load generator on its own core: wrk when installed, else autocannon;
 * HEAD always through Node's HTTP client (see load-generator.ts). Resolves to
 * its JSON result.
 */
function load(server: Running, workload: string, seconds: number): Promise<LoadResult> {
  let generator: string[];
  if (useWrk && workload !== "HEAD") {
    const script = join(scripts, `${workload.replace(/[^a-z0-9]+/gi, "-")}.lua`);
    writeFileSync(script, wrkScript(workload));
    generator = ["wrk", "-t1", `-c${settings.connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", script, server.url];
  } else {
    const options = JSON.stringify({ url: server.url, workload, connections: settings.connections, durationSeconds: seconds });
    generator = [process.execPath, join(__dirname, "load-generator.js"), options];
  }
  const [file, args] = command(generator, LOAD_CORE);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(output.trim().split("\n").pop()!) as LoadResult) : reject(new Error(`load generator exited with ${code}`))));
  });
}

async function measure(server: Running, workload: string, nodes: readonly DatabaseNode[]): Promise<Measurement> {
  const pid = server.process.pid!;
  const cpuBefore = cpuSeconds(pid);
  const nodesBefore = nodes.map(nodeCpuSeconds);
  const result = await load(server, workload, settings.duration);
  const cpu = cpuSeconds(pid) - cpuBefore;
  const perRequestUs = (seconds: number) => (result.requests > 0 ? (seconds * 1e6) / result.requests : 0);
  return {
    databaseCpuUs: nodes.map((node, i) => perRequestUs(nodeCpuSeconds(node) - nodesBefore[i])),
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    cpuPerRequestUs: result.requests > 0 ? (cpu * 1e6) / result.requests : 0,
    rssMb: memoryMb(pid).rss,
    errors: result.errors,
  };
}

const median = (runs: Measurement[]): Measurement => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];

async function databaseReachable(url: string): Promise<boolean> {
  const target = new URL(url);
  const database = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    return false;
  }
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  const db = new Client({ connectionString: url });
  await db.connect();
  await db.query("DROP TABLE IF EXISTS kv_entries, kv_schema_migrations; DROP SEQUENCE IF EXISTS kv_version_seq;");
  await db.end();
  return true;
}

async function benchStorage(storage: string): Promise<void> {
  const env: Record<string, string> = { STORAGE: storage, LOG_LEVEL: "info", SWEEP_INTERVAL_SECONDS: "30" };
  const dataDir = join(DIST, "..", ".bench-data");
  let nodes: DatabaseNode[] = [];
  if (storage === "postgres" || storage === "citus") {
    const url = storage === "postgres" ? settings.databaseUrl : settings.citusUrl;
    if (url === null || !(await databaseReachable(url))) {
      console.log(`\n## ${storage}: skipped (no database at ${url ?? "(unset)"}; set ${storage === "postgres" ? "BENCH_DATABASE_URL" : "BENCH_CITUS_URL"})`);
      return;
    }
    env.STORAGE = "postgres";
    env.DATABASE_URL = url;
    nodes = await databaseNodes(url);
  }
  if (storage === "pglite") {
    spawnSync("rm", ["-rf", dataDir]);
    env.DATA_DIR = dataDir;
  }
  const servers: Running[] = [await startServer(`kv (${storage})`, join(DIST, "src", "main.js"), env, "/healthz")];
  await preload(servers[0]);
  // Planner statistics as autovacuum would have them a minute after the
  // preload, so every run starts alike (Citus passes ANALYZE on to every shard).
  if (env.DATABASE_URL !== undefined) await withClient(env.DATABASE_URL, (client) => client.query("ANALYZE kv_entries"));
  if (storage === "postgres") {
    servers.push(await startServer("node:http + pg", join(__dirname, "servers", "bare-pg.js"), { DATABASE_URL: settings.databaseUrl }, "/"));
  }
  if (storage === "memory") {
    servers.push(await startServer("Koa + router + Map", join(__dirname, "servers", "koa-map.js"), {}, "/"));
    await preload(servers[1]);
    servers.push(await startServer("node:http + Map", join(__dirname, "servers", "bare-map.js"), {}, "/"));
    await preload(servers[2]);
  }
  servers.push(await startServer("node:http constant", join(__dirname, "servers", "bare-constant.js"), {}, "/"));

  console.log(`\n## ${storage}: ${KEY_COUNT.toLocaleString("en")} keys, ${settings.connections} connections, ${settings.duration} s runs, median of ${settings.rounds}`);
  const nodeColumns = nodes.map((node) => ` ${node.name} CPU µs/req |`).join("");
  console.log(`\n| workload | server | req/s | p50 ms | p99 ms | CPU µs/req | RSS MB | kv ÷ this |${nodeColumns}`);
  console.log(`|---|---|---:|---:|---:|---:|---:|---:|${nodes.map(() => "---:|").join("")}`);
  try {
    for (const { name: workload } of POINT_WORKLOADS.filter((w) => settings.workloads?.includes(w.name) ?? true)) {
      for (const server of servers) await load(server, workload, settings.warmup);
      const runs = new Map<string, Measurement[]>(servers.map((server) => [server.name, []]));
      for (let round = 0; round < settings.rounds; round++) {
        for (const server of servers) runs.get(server.name)!.push(await measure(server, workload, nodes));
      }
      const kv = median(runs.get(servers[0].name)!);
      for (const server of servers) {
        const m = median(runs.get(server.name)!);
        const ratio = server === servers[0] ? "" : `${(kv.rps / m.rps).toFixed(2)}×`;
        const errors = m.errors > 0 ? ` (${m.errors} errors)` : "";
        console.log(
          `| ${workload} | ${server.name} | ${Math.round(m.rps).toLocaleString("en")}${errors} | ${m.p50} | ${m.p99} | ${Math.round(m.cpuPerRequestUs)} | ${Math.round(m.rssMb)} | ${ratio} |` +
            m.databaseCpuUs.map((us) => ` ${Math.round(us)} |`).join(""),
        );
      }
    }
    if (settings.scale.includes(storage)) {
      const kvScript = join(DIST, "src", "main.js");
      const restartKv = async (sweepSeconds: number) => {
        await stopServer(servers[0]);
        servers[0] = await startServer(`kv (${storage})`, kvScript, { ...env, SWEEP_INTERVAL_SECONDS: String(sweepSeconds) }, "/readyz");
        return servers[0];
      };
      await benchScale(storage, servers[0], env.DATABASE_URL ?? null, storage === "memory" ? null : restartKv);
    }
  } finally {
    for (const server of servers) await stopServer(server);
    if (storage === "pglite") spawnSync("rm", ["-rf", dataDir]);
  }
}

async function benchScale(
  storage: string,
  kv: Running,
  databaseUrl: string | null,
  restartKv: ((sweepSeconds: number) => Promise<Running>) | null,
): Promise<void> {
  const server = { url: kv.url, pid: kv.process.pid! };
  const loadSeconds = await loadScaleKeys(server);
  const total = SCALE_KEYS + KEY_COUNT;
  console.log(`\n### ${storage}: listing ${total.toLocaleString("en")} keys (${SCALE_KEYS.toLocaleString("en")} loaded through PUT /keys in ${loadSeconds.toFixed(1)} s)`);
  const listing = await fullListing(server);
  const raw = databaseUrl === null ? null : await rawCursorRead(databaseUrl);
  const prefix = await sequentialLatency(server, PREFIX_FILTER);
  const infix = await sequentialLatency(server, INFIX_FILTER);
  console.log("\n| measure | result |\n|---|---|");
  console.log(`| GET /keys, all keys | ${listing.seconds.toFixed(2)} s, ${listing.megabytes.toFixed(1)} MB, server peak RSS ${Math.round(listing.peakRssMb)} MB${listing.peakSinceListing ? " during the listing" : " (lifetime peak)"} |`);
  if (raw !== null) console.log(`| raw pg-cursor read of the same rows (2000 per fetch) | ${raw.seconds.toFixed(2)} s for ${raw.rows.toLocaleString("en")} rows; listing ÷ raw = ${(listing.seconds / raw.seconds).toFixed(2)}× |`);
  console.log(`| prefix filter \`${PREFIX_FILTER.slice(PREFIX_FILTER.indexOf("=") + 1)}\` (${prefix.keys} keys), 50 sequential | p50 ${prefix.p50} ms, p99 ${prefix.p99} ms |`);
  console.log(`| infix filter \`${INFIX_FILTER.slice(INFIX_FILTER.indexOf("=") + 1)}\` (${infix.keys} keys), 50 sequential | p50 ${infix.p50} ms, p99 ${infix.p99} ms |`);
  if (restartKv === null) {
    console.log("| sweeper purging expired keys | n/a: needs a restart between writing and purging, and memory storage forgets everything |");
    return;
  }
  // Write with the sweeper off, let every key expire, then start a server
  // whose sweeper begins 1 s after start, and time it to the last key.
  const writer = await restartKv(0);
  await writeExpiringKeys({ url: writer.url, pid: writer.process.pid! });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const sweeper = await restartKv(1);
  const purge = await timePurge({ url: sweeper.url, pid: sweeper.process.pid! }, process.hrtime.bigint() + 1_000_000_000n);
  console.log(
    `| sweeper purging ${SCALE_KEYS.toLocaleString("en")} expired keys (batches of 1000) | ${purge.seconds.toFixed(1)} s, ${Math.round(purge.rowsPerSecond).toLocaleString("en")} rows/s; ` +
      `a GET loop meanwhile: p50 ${purge.p50} ms, p99 ${purge.p99} ms over ${purge.reads.toLocaleString("en")} reads |`,
  );
}

async function main(): Promise<void> {
  const generator = useWrk ? "wrk, 1 thread" : "autocannon (install wrk for lower load-generator overhead and HEAD)";
  console.log(`# kv bench — ${new Date().toISOString()}, Node ${process.version}, load: ${generator}; ${pinned ? "servers on core 1, load on core 0" : "not pinned (no taskset or one core)"}`);
  for (const storage of settings.storages) await benchStorage(storage);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
