import { DomainError } from "./domain-error";
import { utf8ByteLength } from "./utf8";

export const MAX_KEY_BYTES = 1024;

/**
 * A key is any non-empty string of at most 1024 UTF-8 bytes, except that NUL is
 * rejected (PostgreSQL `text` cannot hold it) and lone surrogates are rejected
 * (they have no UTF-8 encoding, so they could not round-trip).
 */
export function validateKey(key: string): string {
  if (key.length === 0) throw new DomainError("invalid-key", "key must not be empty");
  if (key.includes("\u0000")) throw new DomainError("invalid-key", "key must not contain NUL (U+0000)");
  if (!key.isWellFormed()) throw new DomainError("invalid-key", "key must be well-formed Unicode (no lone surrogates)");
  if (utf8ByteLength(key) > MAX_KEY_BYTES) {
    throw new DomainError("invalid-key", `key must be at most ${MAX_KEY_BYTES} bytes in UTF-8`);
  }
  return key;
}
