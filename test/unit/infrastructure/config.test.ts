import { expect } from "chai";
import { ConfigError, loadConfig } from "../../../src/infrastructure/config/config";

describe("loadConfig", () => {
  it("defaults to PGlite in ./data on port 8080 when nothing is set", () => {
    const config = loadConfig({});
    expect(config).to.deep.include({ port: 8080, host: "0.0.0.0", storage: "pglite", databaseUrl: null, logLevel: "info", logFormat: "json", maxBodyBytes: 1048576 });
    expect(config.dataDir).to.match(/\/data$/);
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
    ];
    for (const [env, message] of bad) expect(() => loadConfig(env)).to.throw(ConfigError, message);
  });
});
