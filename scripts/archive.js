// `npm run archive [-- OUTPUT_DIR]`: writes kv-<version>.tar.gz, a clone of
// the committed repository (with its .git, so the history travels with it)
// in a folder kv-<version>/ whose root holds docker-compose.yml. Built from
// what is committed: uncommitted changes are left out, with a warning.
"use strict";
const { execFileSync } = require("node:child_process");
const { existsSync, mkdtempSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join, resolve } = require("node:path");

const root = resolve(__dirname, "..");
const git = (cwd, ...args) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

function main() {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h") || args.length > 1) {
    console.log("Usage: npm run archive [-- OUTPUT_DIR]\nWrites kv-<version>.tar.gz (a clone of the committed repository with its .git) into OUTPUT_DIR (default: the project root).");
    process.exitCode = args.length > 1 ? 64 : 0;
    return;
  }
  const output = resolve(args[0] ?? root);
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const name = `kv-${version}`;
  if (git(root, "status", "--porcelain", "--untracked-files=no") !== "") {
    console.error("warning: uncommitted changes are not in the archive; it holds the last commit");
  }
  const scratch = mkdtempSync(join(tmpdir(), "kv-archive-"));
  try {
    const clone = join(scratch, name);
    execFileSync("git", ["clone", "--quiet", "--no-hardlinks", root, clone]);
    // The clone's origin would point at this machine's path: meaningless elsewhere.
    git(clone, "remote", "remove", "origin");
    if (!existsSync(join(clone, "docker-compose.yml"))) throw new Error("docker-compose.yml is not committed");
    const archive = join(output, `${name}.tar.gz`);
    execFileSync("tar", ["-czf", archive, "-C", scratch, name]);
    console.log(archive);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
