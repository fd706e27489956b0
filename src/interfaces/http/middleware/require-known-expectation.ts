import type { Middleware } from "koa";
import { RequestError } from "../request-error";

/**
 * RFC 9110, section 10.1.1: the only expectation defined is 100-continue
 * (matched case-insensitively; the body reader sends the 100 once the
 * request is known to be read). Any other is answered 417 here, as a logged
 * problem with a request id, instead of Node's bare 417.
 */
export function requireKnownExpectation(): Middleware {
  return async (ctx, next) => {
    const expectation = ctx.get("Expect").trim();
    if (expectation !== "" && expectation.toLowerCase() !== "100-continue") {
      throw new RequestError("expectation-failed", `the expectation ${JSON.stringify(expectation)} is not supported; only 100-continue is`);
    }
    await next();
  };
}
