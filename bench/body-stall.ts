/**
 * How long does a big request body hold up other requests? Sends bodies of
 * BODY_MB (one big string value to PUT /keys/{key}; one PUT /keys of many
 * small keys) to a running kv (KV_URL, started with MAX_BODY_BYTES of at
 * least that and a MAX_KEYS_PER_PUT that admits the keys) while a prober asks
 * /healthz back to back; prints the prober's worst and p99 latency per kind.
 *
 *   KV_URL=http://127.0.0.1:8080 BODY_MB=8 node dist-test/bench/body-stall.js
 */
const url = process.env.KV_URL ?? "http://127.0.0.1:8080";
const bodyBytes = Number(process.env.BODY_MB ?? 8) * 1024 * 1024;
const ROUNDS = 5;

async function probeWhile(work: () => Promise<void>): Promise<{ maxMs: number; p99Ms: number; probes: number }> {
  const latencies: number[] = [];
  let running = true;
  const prober = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`${url}/healthz`)).text();
      latencies.push(performance.now() - started);
    }
  })();
  await work();
  running = false;
  await prober;
  latencies.sort((a, b) => a - b);
  return { maxMs: latencies[latencies.length - 1], p99Ms: latencies[Math.floor(latencies.length * 0.99)], probes: latencies.length };
}

async function put(target: string, body: string): Promise<void> {
  const response = await fetch(`${url}${target}`, { method: "PUT", headers: { "content-type": "application/json" }, body });
  if (!response.ok) throw new Error(`${target}: ${response.status} ${await response.text()}`);
}

async function main(): Promise<void> {
  const bigString = JSON.stringify("v".repeat(bodyBytes - 16));
  const members: string[] = [];
  let size = 2;
  for (let i = 0; size + 24 < bodyBytes; i++) {
    const member = `"k${String(i).padStart(8, "0")}":${i}`;
    members.push(member);
    size += member.length + 1;
  }
  const manyKeys = `{${members.join(",")}}`;
  console.log(`| body (${(bodyBytes / 1024 / 1024).toFixed(0)} MiB) | /healthz worst (ms) | /healthz p99 (ms) | probes |`);
  console.log("|---|---|---|---|");
  for (const [name, send] of [
    ["one string value, PUT /keys/{key}", () => put("/keys/big", bigString)],
    [`${members.length} keys, PUT /keys`, () => put("/keys", manyKeys)],
  ] as const) {
    const result = await probeWhile(async () => {
      for (let round = 0; round < ROUNDS; round++) await send();
    });
    console.log(`| ${name} | ${result.maxMs.toFixed(0)} | ${result.p99Ms.toFixed(0)} | ${result.probes} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
