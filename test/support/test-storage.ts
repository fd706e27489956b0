import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type AppConfig } from "../../src/infrastructure/config/config";
import { createLogger, errorFields } from "../../src/infrastructure/logging/logger";
import { Metrics } from "../../src/infrastructure/metrics/metrics";
import { openStorage } from "../../src/infrastructure/storage/open-storage";
import type { Storage } from "../../src/infrastructure/storage/storage";
import { FakeClock } from "./fake-clock";

/** A configuration as the service would read it from these environment variables, quiet by default. */
export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ LOG_LEVEL: "silent", PORT: "0", HOST: "127.0.0.1", SWEEP_INTERVAL_SECONDS: "0", ...env });
}

const created = new Set<string>();

/**
 * A fresh temporary directory, removed by the returned function, and in any
 * case when the test run ends (removeTemporaryDirectories, from setup.ts),
 * so a failed test leaves nothing behind.
 */
export function temporaryDirectory(prefix = "kv-test-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  created.add(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      created.delete(path);
    },
  };
}

export function removeTemporaryDirectories(): void {
  for (const path of created) rmSync(path, { recursive: true, force: true });
  created.clear();
}

/** Opens storage exactly as the service does (lock, connect, migrate). */
export function openTestStorage(config: AppConfig): Promise<Storage> {
  return openStorage({
    config,
    clock: new FakeClock(),
    logger: createLogger("silent"),
    metrics: new Metrics({ version: "test", storage: config.storage }),
    // Shown in the test output rather than silently ignored; tests of the loss itself use the adapters directly.
    onLost: (error) => createLogger("error").error("storage lost during a test", errorFields(error)),
  });
}
