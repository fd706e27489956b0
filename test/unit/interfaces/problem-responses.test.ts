import { expect } from "chai";
import Koa from "koa";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { problemResponses } from "../../../src/interfaces/http/middleware/problem-responses";
import { captureLogger } from "../../support/capture-logger";

/** An error as http-errors (and so koa's ctx.throw) builds it. */
function httpError(status: number, message: string, expose: boolean): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose });
}

describe("problem responses for errors raised by libraries", () => {
  const { logger, records } = captureLogger();
  let thrown: unknown;
  let server: Server;
  let base: string;

  before(async () => {
    const app = new Koa();
    app.use(problemResponses(logger));
    app.use(() => {
      throw thrown;
    });
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it("keeps the status and the message of an exposed 4xx, with type about:blank", async () => {
    thrown = httpError(418, "short and stout", true);
    const response = await fetch(base);
    expect(response.status).to.equal(418);
    expect(response.headers.get("content-type")).to.equal("application/problem+json");
    expect(await response.json()).to.deep.include({ type: "about:blank", title: "I'm a Teapot", status: 418, detail: "short and stout" });
  });

  it("keeps the status of a 5xx but not its message, and logs it as an error", async () => {
    thrown = httpError(502, "upstream secret at 10.0.0.7", false);
    const response = await fetch(base);
    expect(response.status).to.equal(502);
    expect(await response.json()).to.deep.include({ type: "about:blank", status: 502, detail: "Bad Gateway" });
    expect(records.some((record) => record.level === "error" && String(record.error).includes("upstream secret"))).to.equal(true);
  });

  it("still answers an error without an HTTP status as a 500 that reveals nothing", async () => {
    thrown = new Error("database password is hunter2");
    const response = await fetch(base);
    expect(response.status).to.equal(500);
    expect(await response.text()).to.not.include("hunter2");
  });
});
