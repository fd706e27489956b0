import { createHash, timingSafeEqual } from "node:crypto";
import type { Middleware } from "koa";
import { RequestError } from "../request-error";

export interface AccessPolicy {
  /** Accepted bearer tokens; empty = everything is open. */
  readonly tokens: readonly string[];
  /** Whether /metrics needs a token too. */
  readonly protectMetrics: boolean;
}

/**
 * Requires `Authorization: Bearer <token>` on /keys (and /metrics when asked)
 * once tokens are configured; /healthz, /readyz and /openapi.json stay open
 * for orchestrators. Tokens are compared as SHA-256 digests with
 * timingSafeEqual, against every configured token without stopping early, so
 * the time taken says nothing about how much of a token was right.
 */
export function bearerAuth(policy: AccessPolicy): Middleware {
  const digests = policy.tokens.map(digest);
  const guarded = (path: string) => path === "/keys" || path.startsWith("/keys/") || (policy.protectMetrics && path === "/metrics");
  return async (ctx, next) => {
    if (digests.length === 0 || !guarded(ctx.path)) {
      await next();
      return;
    }
    const presented = /^Bearer +(\S+) *$/i.exec(ctx.get("Authorization"))?.[1];
    if (presented === undefined) {
      ctx.set("WWW-Authenticate", 'Bearer realm="kv"');
      throw new RequestError("unauthorized", "this endpoint needs an Authorization: Bearer <token> header");
    }
    const candidate = digest(presented);
    let valid = false;
    for (const known of digests) valid = timingSafeEqual(candidate, known) || valid;
    if (!valid) {
      ctx.set("WWW-Authenticate", 'Bearer realm="kv", error="invalid_token"');
      throw new RequestError("unauthorized", "the bearer token is not valid");
    }
    await next();
  };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
