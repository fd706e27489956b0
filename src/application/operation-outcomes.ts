/** Every key-value operation and the outcomes it can have. */
export const OPERATION_OUTCOMES = {
  get: ["hit", "miss"],
  put: ["created", "replaced", "precondition_failed"],
  delete: ["deleted", "not_found", "precondition_failed"],
  delete_many: ["deleted"],
  list: ["listed"],
} as const;

export type Operation = keyof typeof OPERATION_OUTCOMES;
export type Outcome<O extends Operation> = (typeof OPERATION_OUTCOMES)[O][number];

/**
 * Where what each operation did is reported: one per key written or deleted
 * (bulk writes and deletes count each key), one per get or list. The metrics
 * adapter counts them as kv_operations_total.
 */
export interface OperationOutcomes {
  record<O extends Operation>(operation: O, outcome: Outcome<O>, count?: number): void;
}
