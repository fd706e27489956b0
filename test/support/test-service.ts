import type { AppConfig } from "../../src/infrastructure/config/config";
import { KvService } from "../../src/service";
import { ApiClient } from "./api-client";
import { captureLogger, type CapturedLog } from "./capture-logger";
import { FakeClock } from "./fake-clock";
import { testConfig } from "./test-storage";

export interface TestService {
  readonly service: KvService;
  readonly api: ApiClient;
  readonly clock: FakeClock;
  readonly logs: CapturedLog[];
  stop(): Promise<void>;
}

/** The whole service in this process on an ephemeral port, with a fake clock and captured logs. */
export async function startTestService(env: Record<string, string> = {}, config?: AppConfig): Promise<TestService> {
  const clock = new FakeClock();
  const { logger, records } = captureLogger();
  const service = await KvService.start(config ?? testConfig({ STORAGE: "memory", ...env }), { clock, logger });
  return {
    service,
    api: new ApiClient(`http://127.0.0.1:${service.port}`),
    clock,
    logs: records,
    stop: () => service.stop(5_000),
  };
}
