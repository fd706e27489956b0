/** The message of every failed precondition: conditions are stated by the caller, so the message only says which way it went. */
export const CONDITION_FAILED = "the key's current state does not satisfy the condition";
