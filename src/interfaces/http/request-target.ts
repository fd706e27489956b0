import type { Context } from "koa";
import { KeyPattern } from "../../domain/key-pattern";
import { RequestError } from "./request-error";
import { DomainError } from "../../domain/domain-error";

/**
 * Decodes the key from the raw path segment after `/keys/`. The router's own
 * decoding leaves malformed escapes (`%ZZ`, `%C3%28`) in place, which would
 * turn them into literal keys; here they are a 400.
 */
export function keyFromPath(rawPath: string, prefix: string): string {
  const segment = rawPath.slice(prefix.length);
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    if (error instanceof URIError) {
      throw new DomainError("invalid-key", "the key in the path has a malformed percent-encoding (or encodes invalid UTF-8)");
    }
    throw error;
  }
}

/**
 * Parses a query string strictly: every escape must be well-formed UTF-8,
 * each parameter may appear once, and only the listed names are accepted (a
 * typo such as `expires_in` must not silently become a write without expiry).
 * `+` means space, as in HTML forms and URLSearchParams.
 */
export function parseQuery(querystring: string, allowed: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  if (querystring === "") return params;
  for (const part of querystring.split("&")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    const name = decodeQueryComponent(equals < 0 ? part : part.slice(0, equals));
    const value = decodeQueryComponent(equals < 0 ? "" : part.slice(equals + 1));
    if (!allowed.includes(name)) {
      const accepted = allowed.length === 0 ? "none" : allowed.join(", ");
      throw new RequestError("invalid-query", `unknown query parameter ${JSON.stringify(name)} (accepted here: ${accepted})`);
    }
    if (params.has(name)) throw new RequestError("invalid-query", `query parameter ${name} is given more than once`);
    params.set(name, value);
  }
  return params;
}

function decodeQueryComponent(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch (error) {
    if (error instanceof URIError) {
      throw new RequestError("invalid-query", "the query string has a malformed percent-encoding (or encodes invalid UTF-8)");
    }
    throw error;
  }
}

/** A whole number written as plain decimal digits, or a 400 naming the parameter. */
export function parseDigits(name: string, text: string, code: "invalid-expiry" | "invalid-page", range: string): number {
  if (!/^[0-9]{1,16}$/.test(text)) {
    throw new DomainError(code, `${name} must be a whole number written in plain decimal digits, ${range}`);
  }
  return Number(text);
}

/** A request header's value, or undefined when it is absent or empty. */
export function header(ctx: Context, name: string): string | undefined {
  return ctx.get(name) || undefined;
}

/** The `filter` query parameter as a key pattern, or null without one. */
export function patternFrom(query: Map<string, string>): KeyPattern | null {
  const filter = query.get("filter");
  return filter === undefined ? null : KeyPattern.parse(filter);
}
