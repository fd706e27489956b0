import { DomainError } from "./domain-error";

/** Ten years: the longest time-to-live a write may ask for. */
export const MAX_TTL_SECONDS = 315_360_000;

/**
 * Absolute expiry of a write made at `now` (epoch milliseconds) with a TTL in
 * whole seconds, or null for a persistent key.
 */
export function expiryFor(ttlSeconds: number | null, now: number): number | null {
  if (ttlSeconds === null) return null;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new DomainError("invalid-expiry", `a time to live must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`);
  }
  return now + ttlSeconds * 1000;
}

/**
 * The expiry boundary, shared by every adapter: a key that expires at T is
 * live up to T - 1 ms and absent from T on (half-open interval), so "expire in
 * 60 s" gives exactly 60 000 ms of life.
 */
export function isLive(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || now < expiresAt;
}
