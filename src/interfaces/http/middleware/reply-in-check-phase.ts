import type { Middleware } from "koa";

/**
 * Writes each response in the event loop's check phase (setImmediate) rather
 * than as soon as its handler finishes. The responses to every request read in
 * one loop iteration then go out back to back instead of one at a time
 * between reads; a response written while the client sleeps costs it a
 * wake-up. Measured with `npm run bench` on every storage (docs/performance.md).
 */
export function replyInCheckPhase(): Middleware {
  return async (_ctx, next) => {
    await next();
    await new Promise((resolve) => setImmediate(resolve));
  };
}
