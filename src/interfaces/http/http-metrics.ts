import { Counter, Histogram, type Registry } from "prom-client";

/**
 * The HTTP adapter's own metrics, on the registry the service exports. Label
 * values come from fixed sets: method, route template (`/keys/:key`, never a
 * raw path) and status code.
 */
export class HttpMetrics {
  readonly requests: Counter<"method" | "route" | "status">;
  readonly duration: Histogram<"method" | "route" | "status">;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: "http_requests_total",
      help: "HTTP requests served, by method, route template and status code.",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: "http_request_duration_seconds",
      help: "Time from receiving a request to handing its response to the socket, by method, route template and status code.",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }
}
