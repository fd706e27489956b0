/** The source of the current time. Only the system clock adapter reads the wall clock. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}
