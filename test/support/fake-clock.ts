import type { Clock } from "../../src/domain/clock";

/** A clock tests move by hand, so expiry is tested to the millisecond without sleeping. */
export class FakeClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}
