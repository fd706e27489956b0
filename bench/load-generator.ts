import autocannon from "autocannon";
import { Agent, request } from "node:http";
import { nextRequest } from "./workloads";

/**
 * Child process: drives one server with one workload and prints the result as
 * one JSON line. Runs in its own process so it can be pinned to its own core,
 * away from the server under test. autocannon for everything but HEAD: it (and
 * wrk) cannot parse a HEAD response that carries the Content-Length its GET
 * would have, so HEAD goes through Node's own HTTP client, which can.
 */
interface LoadOptions {
  readonly url: string;
  readonly workload: string;
  readonly connections: number;
  readonly durationSeconds: number;
}

const options = JSON.parse(process.argv[2]) as LoadOptions;
let seed = 12345;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

if (options.workload === "HEAD") void nodeHttpLoad();
else autocannonLoad();

function autocannonLoad(): void {
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      duration: options.durationSeconds,
      requests: [
        {
          setupRequest: (req) => {
            const planned = nextRequest(options.workload, random);
            return {
              ...req,
              method: planned.method as "GET",
              path: planned.path,
              body: planned.body,
              headers: planned.body === undefined ? {} : { "content-type": "application/json" },
            };
          },
        },
      ],
    },
    (error, result) => {
      if (error) {
        console.error(error);
        process.exit(1);
      }
      report(result.requests.total, result.requests.average, result.latency.p50, result.latency.p99, result.errors + result.timeouts, result.non2xx);
    },
  );
  process.once("SIGTERM", () => instance.stop());
}

/** One request loop per connection on a keep-alive agent, latencies in ms. */
async function nodeHttpLoad(): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const started = Date.now();
  const end = started + options.durationSeconds * 1000;
  const once = () =>
    new Promise<void>((resolve) => {
      const planned = nextRequest(options.workload, random);
      const t0 = process.hrtime.bigint();
      const req = request(`${options.url}${planned.path}`, { method: planned.method, agent }, (res) => {
        res.resume();
        res.on("end", () => {
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (res.statusCode === undefined || res.statusCode >= 300) non2xx++;
          resolve();
        });
      });
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end(planned.body);
    });
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (Date.now() < end) await once();
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 100) / 100;
  report(latencies.length, latencies.length / ((Date.now() - started) / 1000), at(0.5), at(0.99), errors, non2xx);
}

function report(requests: number, rps: number, p50: number, p99: number, errors: number, non2xx: number): void {
  console.log(JSON.stringify({ requests, rps, p50, p99, errors, non2xx }));
}
