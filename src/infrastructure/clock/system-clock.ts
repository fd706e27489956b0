import type { Clock } from "../../domain/clock";

/** The only place that reads the wall clock. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}
