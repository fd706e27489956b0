import type { Operation, OperationOutcomes, Outcome } from "../../src/application/operation-outcomes";

/** Keeps what the use cases report, as "operation/outcome" -> count. */
export class RecordingOutcomes implements OperationOutcomes {
  readonly counts = new Map<string, number>();

  record<O extends Operation>(operation: O, outcome: Outcome<O>, count = 1): void {
    const name = `${operation}/${outcome}`;
    this.counts.set(name, (this.counts.get(name) ?? 0) + count);
  }
}
