import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../../src/infrastructure/config/config";
import { temporaryDirectory } from "../../support/test-storage";

describe("loadConfig", () => {
  it("defaults to PGlite in ./data on port 8080 when nothing is set", () => {
    const config = loadConfig({});
    expect(config).to.deep.include({ port: 8080, host: "0.0.0.0", storage: "pglite", databaseUrl: null, logLevel: "info", logFormat: "json", maxBodyBytes: 1048576 });
    expect(config.dataDir).to.match(/\/data$/);
  });

  it("reads WATCH_RETENTION as a duration (1h by default) or a count of changes", () => {
    expect(loadConfig({}).watchRetention).to.deep.equal({ kind: "duration", ms: 3_600_000 });
    expect(loadConfig({ WATCH_RETENTION: "90s" }).watchRetention).to.deep.equal({ kind: "duration", ms: 90_000 });
    expect(loadConfig({ WATCH_RETENTION: "7d" }).watchRetention).to.deep.equal({ kind: "duration", ms: 7 * 86_400_000 });
    expect(loadConfig({ WATCH_RETENTION: "100000 changes" }).watchRetention).to.deep.equal({ kind: "count", changes: 100_000 });
    expect(loadConfig({ WATCH_RETENTION: "5changes" }).watchRetention).to.deep.equal({ kind: "count", changes: 5 });
  });

  it("chooses PostgreSQL when DATABASE_URL is set", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db" }).storage).to.equal("postgres");
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db", STORAGE: "memory" }).storage).to.equal("memory");
  });

  it("fails fast with a message naming the variable", () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ STORAGE: "redis" }, /STORAGE=redis is not one of: postgres, pglite, memory/],
      [{ STORAGE: "postgres" }, /STORAGE=postgres needs DATABASE_URL/],
      [{ DATABASE_URL: "mysql://x" }, /DATABASE_URL must start with postgres/],
      [{ PORT: "http" }, /PORT=http must be a whole number from 0 to 65535/],
      [{ PORT: "70000" }, /PORT=70000/],
      [{ LOG_LEVEL: "loud" }, /LOG_LEVEL=loud/],
      [{ LOG_FORMAT: "xml" }, /LOG_FORMAT=xml is not one of: json, pretty/],
      [{ MAX_BODY_BYTES: "12" }, /MAX_BODY_BYTES=12 must be a whole number from 1024/],
      // Beyond what the service can decode, scan and store (a 600 MB body failed with ERR_STRING_TOO_LONG).
      [{ MAX_BODY_BYTES: String(32 * 1024 * 1024 + 1) }, /MAX_BODY_BYTES=33554433 must be a whole number from 1024 to 33554432/],
      [{ HEADERS_TIMEOUT_MS: "20000", REQUEST_TIMEOUT_MS: "10000" }, /HEADERS_TIMEOUT_MS=20000 must not exceed REQUEST_TIMEOUT_MS=10000/],
      [{ API_TOKEN: "short" }, /at least 16 printable ASCII characters/],
      [{ API_TOKEN: "has a space in the middle" }, /without spaces/],
      [{ API_TOKENS_FILE: "/nonexistent/tokens" }, /API_TOKENS_FILE=\/nonexistent\/tokens cannot be read/],
      [{ METRICS_AUTH: "token" }, /METRICS_AUTH=token needs API_TOKEN or API_TOKENS_FILE/],
      [{ WATCH_RETENTION: "3600" }, /WATCH_RETENTION=3600 must be a duration such as 90s, 30m, 1h or 7d/],
      [{ WATCH_RETENTION: "2y" }, /WATCH_RETENTION=2y/],
      [{ WATCH_RETENTION: "366d" }, /at most 365d/],
      [{ WATCH_RETENTION: "0 changes" }, /or a count such as "100000 changes"/],
    ];
    for (const [env, message] of bad) expect(() => loadConfig(env)).to.throw(ConfigError, message);
  });

  it("reads API tokens from API_TOKEN and API_TOKENS_FILE (comments and blank lines skipped)", () => {
    const directory = temporaryDirectory();
    try {
      const file = join(directory.path, "tokens");
      writeFileSync(file, "# rotated 2026-11\n\nsecond-token-0123456789\r\nthird-token-0123456789\n");
      const config = loadConfig({ API_TOKEN: "first-token-0123456789", API_TOKENS_FILE: file, METRICS_AUTH: "token" });
      expect(config.apiTokens).to.deep.equal(["first-token-0123456789", "second-token-0123456789", "third-token-0123456789"]);
      expect(config.metricsAuth).to.equal(true);
      expect(loadConfig({}).apiTokens).to.deep.equal([]);
    } finally {
      directory.remove();
    }
  });
});
