import Transport from "winston-transport";
import winston from "winston";
import { expandError, type Logger } from "../../src/infrastructure/logging/logger";

export interface CapturedLog {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** A winston logger that keeps its records in memory for assertions instead of printing them. */
export function captureLogger(): { logger: Logger; records: CapturedLog[] } {
  const records: CapturedLog[] = [];
  const sink = new (class extends Transport {
    override log(info: CapturedLog, done: () => void): void {
      records.push({ ...info });
      done();
    }
  })();
  // The service's own treatment of an Error in the `error` field, so records look like its log lines.
  return { logger: winston.createLogger({ level: "debug", format: expandError(), transports: [sink] }), records };
}
