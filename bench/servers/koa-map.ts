import Router from "@koa/router";
import Koa from "koa";
import bodyParser from "koa-bodyparser";

/**
 * Baseline: Koa + @koa/router + koa-bodyparser + a Map - what the service's
 * own framework allows for the memory adapter, with none of kv's middleware
 * (request ids, access log, metrics, problem bodies, auth, strict parsing).
 */
const store = new Map<string, string>();
const router = new Router();

router.get("/keys/:key", (ctx) => {
  const value = store.get(ctx.params.key);
  if (value === undefined) {
    ctx.status = 404;
    ctx.body = { error: "not found" };
    return;
  }
  ctx.type = "application/json";
  ctx.body = value;
});
router.put("/keys/:key", (ctx) => {
  // The parser has checked the JSON; keep its text.
  store.set(ctx.params.key, (ctx.request as { rawBody?: string }).rawBody ?? "");
  ctx.body = {};
});
router.put("/keys", (ctx) => {
  const body = ctx.request.body as Record<string, unknown>;
  for (const key of Object.keys(body)) store.set(key, JSON.stringify(body[key]));
  ctx.body = {};
});

const app = new Koa();
// strict: false accepts any JSON value, not only objects and arrays.
app.use(bodyParser({ enableTypes: ["json"], strict: false }));
app.use(router.routes());
app.listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("listening"));
