import type { Middleware } from "koa";
import { RequestError } from "../request-error";

/**
 * RFC 9112, section 3.2: a server must answer 400 to an HTTP/1.1 request
 * without a Host header or with more than one. (Node's own check is off, so
 * that this answer is a logged problem with a request id; Node keeps only the
 * first of several Host lines, so they are counted in the raw headers.)
 * HTTP/1.0 requests may omit it.
 */
export function requireOneHost(): Middleware {
  return async (ctx, next) => {
    const raw = ctx.req.rawHeaders;
    let hosts = 0;
    for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 4 && raw[i].toLowerCase() === "host") hosts++;
    if (hosts > 1 || (hosts === 0 && ctx.req.httpVersion !== "1.0")) {
      throw new RequestError("bad-request", "an HTTP/1.1 request needs exactly one Host header");
    }
    await next();
  };
}
