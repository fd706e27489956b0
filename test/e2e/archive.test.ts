import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../src/infrastructure/project-files";
import { temporaryDirectory } from "../support/test-storage";

const root = projectRoot();
const GIT_MISSING = spawnSync("git", ["rev-parse", "HEAD"], { cwd: root }).status !== 0;
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

if (GIT_MISSING) {
  describe("npm run archive (skipped: not a git checkout, or git is not installed)", () => it.skip("needs git and the repository's history"));
} else {
  describe("npm run archive", () => {
    let directory: ReturnType<typeof temporaryDirectory>;
    let unpacked: string;
    before(() => {
      directory = temporaryDirectory();
      const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
      const written = execFileSync(process.execPath, [join(root, "scripts", "archive.js"), directory.path], { cwd: root, encoding: "utf8" }).trim();
      expect(written).to.equal(join(directory.path, `kv-${version}.tar.gz`));
      execFileSync("tar", ["-xzf", written, "-C", directory.path]);
      unpacked = join(directory.path, `kv-${version}`);
    });
    after(() => directory?.remove());

    it("holds a clone of the last commit, history included, with docker-compose.yml at its root", () => {
      expect(git(unpacked, "rev-parse", "HEAD")).to.equal(git(root, "rev-parse", "HEAD"));
      expect(git(unpacked, "log", "--oneline").split("\n").length).to.equal(git(root, "log", "--oneline").split("\n").length);
      expect(git(unpacked, "status", "--porcelain")).to.equal("");
      expect(existsSync(join(unpacked, "docker-compose.yml"))).to.equal(true);
      expect(git(unpacked, "ls-files")).to.equal(git(root, "ls-tree", "-r", "--name-only", "HEAD"));
    });

    it("has everything npm ci && npm test need, without ignored files: it type-checks with only node_modules added", () => {
      for (const file of ["package.json", "package-lock.json", ".mocharc.json", "tsconfig.json", "migrations", "assets"]) {
        expect(existsSync(join(unpacked, file)), file).to.equal(true);
      }
      symlinkSync(join(root, "node_modules"), join(unpacked, "node_modules"), "dir");
      const check = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json", "--noEmit"], {
        cwd: unpacked,
        encoding: "utf8",
      });
      expect(check.status, check.stdout + check.stderr).to.equal(0);
    });
  });
}
