import type { AppConfig } from "../../src/infrastructure/config/config";
import type { Storage } from "../../src/infrastructure/storage/storage";
import { KvService } from "../../src/service";
import { ApiClient } from "./api-client";
import { captureLogger, type CapturedLog } from "./capture-logger";
import { FakeClock } from "./fake-clock";
import { testConfig } from "./test-storage";

export interface TestService {
  readonly service: KvService;
  /** The storage the service opened, for tests that stub its repository. */
  readonly storage: Storage;
  readonly api: ApiClient;
  readonly clock: FakeClock;
  readonly logs: CapturedLog[];
  stop(): Promise<void>;
}

/** The whole service in this process on an ephemeral port, with a fake clock and captured logs. */
export async function startTestService(env: Record<string, string> = {}, config?: AppConfig): Promise<TestService> {
  const clock = new FakeClock();
  const { logger, records } = captureLogger();
  let storage: Storage | undefined;
  const service = await KvService.start(config ?? testConfig({ STORAGE: "memory", ...env }), { clock, logger, onStorageOpened: (opened) => (storage = opened) });
  return {
    service,
    storage: storage!,
    api: new ApiClient(`http://127.0.0.1:${service.port}`),
    clock,
    logs: records,
    stop: () => service.stop(5_000),
  };
}

/**
 * Registers mocha hooks that start the service before the suite (with the
 * environment `env` resolves to), empty the store before each test when asked,
 * and stop it after; returns a handle usable inside the tests.
 */
export function useTestService(env: () => Promise<Record<string, string>>, options: { emptyBeforeEach: boolean }): TestService {
  let current: TestService | null = null;
  const started = (): TestService => {
    if (current === null) throw new Error("the test service is not running (used outside a test?)");
    return current;
  };
  before(async () => {
    current = await startTestService(await env());
  });
  after(async () => {
    await current?.stop();
    current = null;
  });
  if (options.emptyBeforeEach) {
    beforeEach(async () => {
      await started().api.delete("/keys");
    });
  }
  return {
    get service() {
      return started().service;
    },
    get storage() {
      return started().storage;
    },
    get api() {
      return started().api;
    },
    get clock() {
      return started().clock;
    },
    get logs() {
      return started().logs;
    },
    stop: () => started().stop(),
  };
}
