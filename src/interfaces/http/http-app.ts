import Router from "@koa/router";
import Koa, { type Middleware } from "koa";
import type { HttpMetrics } from "./http-metrics";
import type { KeysController } from "./keys-controller";
import type { Logger } from "./logger";
import { observeRequests, requestIdOf } from "./middleware/observe-requests";
import { bearerAuth, type AccessPolicy } from "./middleware/bearer-auth";
import { problemResponses } from "./middleware/problem-responses";
import { replyInCheckPhase } from "./middleware/reply-in-check-phase";
import { requireKnownExpectation } from "./middleware/require-known-expectation";
import { requireOneHost } from "./middleware/require-one-host";
import type { OperationsController } from "./operations-controller";
import { wantsWatch, type WatchController } from "./watch-controller";

const CLIENT_GONE = new Set(["ERR_STREAM_PREMATURE_CLOSE", "ECONNRESET", "EPIPE"]);

export interface HttpAppParts {
  readonly keys: KeysController;
  readonly watches: WatchController;
  readonly operations: OperationsController;
  readonly metrics: HttpMetrics;
  readonly logger: Logger;
  readonly access: AccessPolicy;
  /** Write responses in the check phase (see replyInCheckPhase): pays where storage answers without I/O. */
  readonly replyInCheckPhase: boolean;
}

/** The Koa application: middleware order is observe -> problems -> Host -> Expect -> auth -> routes -> 405 (or OPTIONS) for known paths. */
export function createHttpApp({ keys, watches, operations, metrics, logger, access, replyInCheckPhase: replyLate }: HttpAppParts): Koa {
  // strict: `/keys/` is not `/keys`; sensitive: `/KEYS` is not `/keys`.
  const router = new Router({ strict: true, sensitive: true });
  router
    .get("/keys", (ctx) => (wantsWatch(ctx) ? watches.watch(ctx) : keys.list(ctx)))
    .put("/keys", keys.putMany)
    .delete("/keys", keys.deleteMany)
    .get("/keys/:key", keys.get)
    .put("/keys/:key", keys.put)
    .delete("/keys/:key", keys.delete)
    .get("/healthz", operations.health)
    .get("/readyz", operations.ready)
    .get("/metrics", operations.metricsText)
    .get("/openapi.json", operations.openApi);

  const app = new Koa();
  app.use(observeRequests(metrics, logger));
  if (replyLate) app.use(replyInCheckPhase());
  app.use(problemResponses(logger));
  app.use(requireOneHost());
  app.use(requireKnownExpectation());
  app.use(bearerAuth(access));
  app.use(router.routes());
  app.use(allowedMethods(router));
  // Errors after the response has started (a listing whose storage fails
  // mid-stream): the connection is cut so the client sees a truncated body.
  app.on("error", (error: unknown, ctx?: Koa.Context) => {
    const code = (error as { code?: unknown }).code;
    // A client that disconnects mid-stream is not a server fault; its request log line says aborted.
    const level = typeof code === "string" && CLIENT_GONE.has(code) ? "debug" : "error";
    logger.log(level, "response failed after it started", { request_id: ctx && requestIdOf(ctx), error });
  });
  return app;
}

/**
 * Reached when no route took the request: 404 for an unknown path; for a
 * known one, OPTIONS gets 204 and any other method 405 (also methods the
 * router has never heard of, such as TRACE or junk: a client's mistake must
 * not count as a server error, which would trip the 5xx alert). Both carry
 * `Allow` with every method the path serves, OPTIONS included.
 */
function allowedMethods(router: Router): Middleware {
  return (ctx) => {
    const layers = router.match(ctx.path, ctx.method).path;
    if (layers.length === 0) {
      ctx.status = 404;
      return;
    }
    ctx.set("Allow", [...new Set([...layers.flatMap((layer) => layer.methods), "OPTIONS"])].join(", "));
    ctx.status = ctx.method === "OPTIONS" ? 204 : 405;
  };
}
