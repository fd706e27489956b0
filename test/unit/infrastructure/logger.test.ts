import { expect } from "chai";
import sinon from "sinon";
import { createLogger } from "../../../src/infrastructure/logging/logger";

/** Lines the logger writes to stdout while `fn` runs. */
async function stdoutOf(fn: () => void): Promise<string[]> {
  const lines: string[] = [];
  const write = sinon.stub(process.stdout, "write").callsFake((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    write.restore();
  }
  return lines.join("").split("\n").filter((line) => line !== "");
}

describe("logger", () => {
  it("writes one JSON object per line: timestamp, level, message, then the fields", async () => {
    const logger = createLogger("info");
    const [line] = await stdoutOf(() => logger.warn("storage unavailable", { retry_in_ms: 500 }));
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(record)).to.deep.equal(["timestamp", "level", "message", "retry_in_ms"]);
    expect(record).to.deep.include({ level: "warn", message: "storage unavailable", retry_in_ms: 500 });
    expect(new Date(record.timestamp as string).toISOString()).to.equal(record.timestamp);
  });

  it("LOG_FORMAT=pretty writes time, level, message and name=value pairs, with an error's stack below", async () => {
    const logger = createLogger("debug", "pretty");
    const error = new Error("boom");
    const lines = await stdoutOf(() => logger.error("sweeper run failed", { request_id: "r 2", purged: 3, stack: error.stack }));
    expect(lines[0]).to.match(/^\d\d:\d\d:\d\d\.\d{3} ERROR sweeper run failed request_id="r 2" purged=3$/);
    expect(lines[1]).to.equal("Error: boom");
  });

  it("writes an Error passed as the error field as its message, name, code and stack", async () => {
    const logger = createLogger("info");
    const error = Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
    const [line] = await stdoutOf(() => logger.error("unexpected error", { request_id: "r1", error }));
    expect(JSON.parse(line)).to.deep.include({ request_id: "r1", error: "connection refused", error_name: "Error", error_code: "ECONNREFUSED", stack: error.stack });
  });

  it("writes nothing at LOG_LEVEL=silent", async () => {
    const logger = createLogger("silent");
    expect(await stdoutOf(() => logger.error("unexpected error"))).to.deep.equal([]);
  });
});
