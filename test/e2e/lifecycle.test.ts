import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import sinon from "sinon";
import type { Storage } from "../../src/infrastructure/storage/storage";
import { startTestService } from "../support/test-service";
import { temporaryDirectory } from "../support/test-storage";

describe("lifecycle", function () {

  it("a graceful stop lets an in-flight request finish, then refuses new connections", async () => {
    const t = await startTestService();
    const storage: Storage = t.storage;
    await t.api.put("/keys/slow", "1");
    const get = storage.repository.get.bind(storage.repository);
    let arrived = () => {};
    const reachedStorage = new Promise<void>((resolve) => (arrived = resolve));
    sinon.stub(storage.repository, "get").callsFake(async (...args) => {
      arrived();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return get(...args);
    });
    try {
      const inFlight = fetch(`${t.api.baseUrl}/keys/slow`);
      await reachedStorage;
      const stopped = t.stop();
      const response = await inFlight;
      expect(response.status).to.equal(200);
      expect(await response.text()).to.equal("1");
      await stopped;
      const after = await fetch(`${t.api.baseUrl}/healthz`).then(() => "answered", () => "refused");
      expect(after).to.equal("refused");
    } finally {
      sinon.restore();
    }
  });

  it("npm run migrate's command applies the migrations once and exits 0", () => {
    const directory = temporaryDirectory();
    const run = () =>
      spawnSync(process.execPath, [join(__dirname, "..", "..", "src", "migrate.js")], {
        env: { PATH: process.env.PATH, STORAGE: "pglite", DATA_DIR: directory.path },
        encoding: "utf8",
      });
    try {
      const first = run();
      expect(first.status, first.stdout + first.stderr).to.equal(0);
      expect(first.stdout).to.include('"message":"migration applied"').and.include('"migration_name":"create_kv_entries"');
      const second = run();
      expect(second.status).to.equal(0);
      expect(second.stdout).to.not.include("migration applied");
      expect(second.stdout).to.include('"applied":0');
    } finally {
      directory.remove();
    }
  });
});
