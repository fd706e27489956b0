/**
 * How long does a big request body hold up other requests? Sends bodies of
 * BODY_MB (one big string value to PUT /keys/{key}; one PUT /keys of many
 * small keys) to a running kv (KV_URL, started with MAX_BODY_BYTES of at
 * least that and a MAX_KEYS_PER_PUT that admits the keys) while a prober in
 * a worker thread (its own event loop, so the sender's work does not count)
 * asks /healthz back to back (after one unmeasured warm-up body). Prints, per kind, the prober's worst and p99
 * latency and the server's own longest event-loop delay meanwhile
 * (nodejs_eventloop_lag_max_seconds, which prom-client resets at each scrape).
 *
 *   KV_URL=http://127.0.0.1:8080 BODY_MB=8 node dist-test/bench/body-stall.js
 */
import { Worker } from "node:worker_threads";

const url = process.env.KV_URL ?? "http://127.0.0.1:8080";
const bodyBytes = Number(process.env.BODY_MB ?? 8) * 1024 * 1024;
const ROUNDS = 5;

const PROBER = `
const { parentPort, workerData } = require("node:worker_threads");
let running = true;
const latencies = [];
parentPort.on("message", () => (running = false));
(async () => {
  while (running) {
    const started = performance.now();
    await (await fetch(workerData + "/healthz")).text();
    latencies.push(performance.now() - started);
  }
  parentPort.postMessage(latencies);
})();
`;

interface Stall {
  maxMs: number;
  p99Ms: number;
  probes: number;
  serverLagMs: number;
}

async function serverLagMaxMs(): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics);
  if (line === null) throw new Error("the server exports no nodejs_eventloop_lag_max_seconds");
  return Number(line[1]) * 1000;
}

async function probeWhile(work: () => Promise<void>): Promise<Stall> {
  await serverLagMaxMs(); // resets the server's maximum
  const prober = new Worker(PROBER, { eval: true, workerData: url });
  const done = new Promise<number[]>((resolve, reject) => {
    prober.once("message", resolve);
    prober.once("error", reject);
  });
  await work();
  prober.postMessage("stop");
  const latencies = (await done).sort((a, b) => a - b);
  await prober.terminate();
  return {
    maxMs: latencies[latencies.length - 1],
    p99Ms: latencies[Math.floor(latencies.length * 0.99)],
    probes: latencies.length,
    serverLagMs: await serverLagMaxMs(),
  };
}

async function put(target: string, body: Buffer): Promise<void> {
  const response = await fetch(`${url}${target}`, { method: "PUT", headers: { "content-type": "application/json" }, body });
  if (!response.ok) throw new Error(`${target}: ${response.status} ${await response.text()}`);
}

async function main(): Promise<void> {
  // Encoded once, so that sending costs the sender as little as it can (it shares the machine's cores with the server).
  const bigString = Buffer.from(JSON.stringify("v".repeat(bodyBytes - 16)));
  const bigText = Buffer.from(JSON.stringify("€😀ü".repeat(Math.floor((bodyBytes - 16) / 9))));
  const members: string[] = [];
  let size = 2;
  // At most 1,000,000 keys: the most MAX_KEYS_PER_PUT admits.
  for (let i = 0; size + 24 < bodyBytes && i < 1_000_000; i++) {
    const member = `"k${String(i).padStart(8, "0")}":${i}`;
    members.push(member);
    size += member.length + 1;
  }
  const manyKeys = Buffer.from(`{${members.join(",")}}`);
  const defaultKeys = Buffer.from(`{${members.slice(0, 10_000).join(",")}}`);
  console.log(`| body (${(bodyBytes / 1024 / 1024).toFixed(0)} MiB) | /healthz worst (ms) | /healthz p99 (ms) | probes | server event-loop delay max (ms) |`);
  console.log("|---|---|---|---|---|");
  for (const [name, send] of [
    ["one ASCII string value, PUT /keys/{key}", () => put("/keys/big", bigString)],
    ["one non-ASCII string value, PUT /keys/{key}", () => put("/keys/big", bigText)],
    ["10000 keys (the default MAX_KEYS_PER_PUT), PUT /keys", () => put("/keys", defaultKeys)],
    [`${members.length} keys, PUT /keys`, () => put("/keys", manyKeys)],
  ] as const) {
    await send(); // warm-up: the first request of a kind also compiles its code paths
    const result = await probeWhile(async () => {
      for (let round = 0; round < ROUNDS; round++) await send();
    });
    console.log(`| ${name} | ${result.maxMs.toFixed(0)} | ${result.p99Ms.toFixed(0)} | ${result.probes} | ${result.serverLagMs.toFixed(0)} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
