/**
 * A precondition on a single-key operation. On a write or delete, storage
 * evaluates it atomically with the write; on a read, the use case checks it
 * against the version read. An expired key counts as absent.
 * - `none`: unconditional.
 * - `absent`: only if no live key exists (HTTP `If-None-Match: *`).
 * - `present`: only if a live key exists (HTTP `If-Match: *`).
 * - `version-in`: only if the live key's version is one of these (HTTP `If-Match: "v1", "v2"`).
 */
export type WriteCondition =
  | { readonly kind: "none" }
  | { readonly kind: "absent" }
  | { readonly kind: "present" }
  | { readonly kind: "version-in"; readonly versions: readonly string[] };

export const UNCONDITIONAL: WriteCondition = { kind: "none" };

/** Whether a condition holds against the current live version of a key (null when absent or expired). */
export function conditionHolds(condition: WriteCondition, currentVersion: string | null): boolean {
  switch (condition.kind) {
    case "none":
      return true;
    case "absent":
      return currentVersion === null;
    case "present":
      return currentVersion !== null;
    case "version-in":
      return currentVersion !== null && condition.versions.includes(currentVersion);
  }
}
