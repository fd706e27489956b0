import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../src/infrastructure/project-files";
import { ChildService } from "../support/child-service";
import { assertOutputMatches, consoleSteps } from "../support/console-session";
import { temporaryDirectory } from "../support/test-storage";

const DOCUMENTS = ["README.md", "docs/api.md"];
const CURL_MISSING = spawnSync("curl", ["--version"]).status !== 0;

/**
 * Every console session the docs show runs as written against a freshly
 * started server (the default embedded storage, a new data directory), in
 * order, and prints what the docs say it prints.
 */
for (const document of DOCUMENTS) {
  const steps = consoleSteps(readFileSync(join(projectRoot(), document), "utf8"));
  if (CURL_MISSING) {
    describe(`${document} example sessions (skipped: curl is not installed)`, () => it.skip("needs curl to run the commands as written"));
    continue;
  }
  describe(`${document} example sessions, run as written on a fresh server`, () => {
    let server: ChildService;
    let directory: ReturnType<typeof temporaryDirectory>;
    before(async () => {
      directory = temporaryDirectory();
      server = await ChildService.start({ STORAGE: "pglite", DATA_DIR: directory.path });
    });
    after(async () => {
      await server?.stop();
      directory?.remove();
    });

    it("has sessions to run", () => expect(steps.length).to.be.greaterThan(3));
    for (const step of steps) {
      it(`line ${step.line}: $ ${step.command}`, () => {
        const command = step.command.replaceAll("localhost:8080", `127.0.0.1:${server.port}`);
        const output = execFileSync("sh", ["-c", command], { encoding: "utf8", cwd: directory.path, env: { PATH: process.env.PATH } });
        assertOutputMatches(output, step.expected);
      });
    }
  });
}
