import { expect } from "chai";
import { ChildService } from "../support/child-service";
import { pause, sampleValue } from "../support/polling";
import { ThrowawayCluster } from "../support/throwaway-cluster";

/** SOAK_SECONDS: 60 in CI; the figures in RELIABILITY.md come from a 120 s run. */
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CLIENTS = 16;
const KEY_SPACE = 10_000;
const SAMPLE_EVERY_MS = 2000;
const json = { "content-type": "application/json" };

interface Sample {
  readonly atS: number;
  readonly rssMb: number;
  readonly lagP99Ms: number;
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

const percentile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

describe("soak: bounded mixed load against PostgreSQL", function () {
  this.timeout((SOAK_SECONDS + 120) * 1000);
  let cluster: ThrowawayCluster;
  let server: ChildService;

  before(async () => {
    cluster = await ThrowawayCluster.create();
    const url = await cluster.createDatabase("kv_soak");
    server = await ChildService.start({ STORAGE: "postgres", DATABASE_URL: url, SWEEP_INTERVAL_SECONDS: "1", LOG_LEVEL: "info" });
  });
  after(async () => {
    await server?.stop("SIGTERM");
    cluster?.destroy();
  });

  it(`runs ${SOAK_SECONDS} s of reads, writes (some expiring), deletes and prefix listings with no error response, no memory growth trend and a stable p99`, async () => {
    const base = server.baseUrl;
    const started = performance.now();
    const deadline = started + SOAK_SECONDS * 1000;
    const unexpected: string[] = [];
    const latencies: { atS: number; ms: number }[] = [];
    let requests = 0;

    const client = async () => {
      while (performance.now() < deadline) {
        const key = `k${Math.floor(Math.random() * KEY_SPACE)}`;
        const dice = Math.random();
        const [method, target, body, allowed]: [string, string, string | undefined, number[]] =
          dice < 0.7 ? ["GET", `/keys/${key}`, undefined, [200, 404]]
          : dice < 0.8 ? ["PUT", `/keys/${key}`, `{"n":${requests},"pad":"${"x".repeat(100)}"}`, [200, 201]]
          : dice < 0.9 ? ["PUT", `/keys/${key}?expire_in=1`, String(requests), [200, 201]]
          : dice < 0.95 ? ["DELETE", `/keys/${key}`, undefined, [204, 404]]
          : ["GET", `/keys?filter=k${Math.floor(Math.random() * 100)}$`, undefined, [200]];
        const t0 = performance.now();
        const response = await fetch(base + target, { method, headers: body === undefined ? undefined : json, body, signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        const now = performance.now();
        latencies.push({ atS: (now - started) / 1000, ms: now - t0 });
        requests++;
        if (!allowed.includes(response.status)) unexpected.push(`${method} ${target} -> ${response.status}`);
      }
    };

    const samples: Sample[] = [];
    const sampler = (async () => {
      while (performance.now() < deadline) {
        await pause(SAMPLE_EVERY_MS);
        const text = await (await fetch(`${base}/metrics`)).text();
        samples.push({
          atS: (performance.now() - started) / 1000,
          rssMb: sampleValue(text, "process_resident_memory_bytes") / 2 ** 20,
          lagP99Ms: sampleValue(text, "nodejs_eventloop_lag_p99_seconds") * 1000,
        });
      }
    })();
    await Promise.all([...Array.from({ length: CLIENTS }, client), sampler]);

    // The first quarter is warm-up (JIT, pool, caches); trends are judged after it.
    const warm = samples.filter((sample) => sample.atS > SOAK_SECONDS / 4);
    const rssSlopeMbPerMin = slope(warm.map((sample) => [sample.atS, sample.rssMb])) * 60;
    const windows = [0, 1, 2, 3].map((quarter) =>
      latencies
        .filter((l) => l.atS >= (quarter * SOAK_SECONDS) / 4 && l.atS < ((quarter + 1) * SOAK_SECONDS) / 4)
        .map((l) => l.ms)
        .sort((a, b) => a - b),
    );
    const p99s = windows.map((window) => percentile(window, 0.99));
    const figures = [
      `${requests} requests in ${SOAK_SECONDS} s (${Math.round(requests / SOAK_SECONDS)}/s), ${unexpected.length} unexpected statuses`,
      `RSS ${warm[0].rssMb.toFixed(1)} -> ${warm[warm.length - 1].rssMb.toFixed(1)} MB, slope after warm-up ${rssSlopeMbPerMin.toFixed(2)} MB/min`,
      `p99 per quarter: ${p99s.map((p) => p.toFixed(1)).join(" / ")} ms; event-loop lag p99 max ${Math.max(...samples.map((s) => s.lagP99Ms)).toFixed(1)} ms`,
    ];
    for (const line of figures) console.log(`      ${line}`);

    expect(unexpected.slice(0, 10)).to.deep.equal([]);
    // A leak grows without bound (retaining 1 KB per request at this rate is
    // ~60 MB/min); allocator and GC noise measured -15..+1 MB/min over 60 s runs.
    expect(rssSlopeMbPerMin).to.be.lessThan(20);
    // Stable: the last quarter is not markedly slower than the second (after warm-up).
    expect(p99s[3]).to.be.lessThan(p99s[1] * 3 + 20);
    expect(server.logs.filter((log) => log.level === "error")).to.deep.equal([]);
  });
});
