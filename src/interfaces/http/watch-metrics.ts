import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type ChangeEventType = "put" | "delete" | "expire";
/** Why a watch stream ended. */
export type StreamCloseReason = "client" | "shutdown" | "compacted" | "stalled";

/** The watch feed's metrics, on the registry the service exports. */
export class WatchMetrics {
  readonly streams: Gauge;
  readonly events: Counter<"type">;
  readonly lag: Histogram;
  readonly closed: Counter<"reason">;

  constructor(registry: Registry) {
    this.streams = new Gauge({ name: "kv_watch_streams", help: "Watch streams open on this instance.", registers: [registry] });
    this.events = new Counter({
      name: "kv_watch_events_total",
      help: "Change events written to watch streams, by type.",
      labelNames: ["type"] as const,
      registers: [registry],
    });
    this.lag = new Histogram({
      name: "kv_watch_delivery_lag_seconds",
      help: "From a change being recorded (by the storage's clock) to its event being written to a watch stream's socket, for streams that are live (not replaying).",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.closed = new Counter({
      name: "kv_watch_streams_closed_total",
      help: "Watch streams ended, by reason: client (disconnected), shutdown, compacted (fell behind the retention), stalled (stopped reading).",
      labelNames: ["reason"] as const,
      registers: [registry],
    });
    for (const type of ["put", "delete", "expire"] as const) this.events.inc({ type }, 0);
    for (const reason of ["client", "shutdown", "compacted", "stalled"] as const) this.closed.inc({ reason }, 0);
  }
}
