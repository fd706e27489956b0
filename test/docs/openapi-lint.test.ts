import { expect } from "chai";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../../src/infrastructure/project-files";

const run = promisify(execFile);
const bin = (name: string) => join(projectRoot(), "node_modules", ".bin", name);
// Offline and quiet: no usage reports, no update checks.
const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };

/** Runs a linter and returns its output; a non-zero exit fails with that output. */
async function lint(command: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(bin(command), args, { cwd: projectRoot(), env, timeout: 240_000 });
    return stdout + stderr;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} failed:\n${stdout ?? ""}${stderr ?? ""}`, { cause: error });
  }
}

describe("src/interfaces/http/openapi.json under third-party linters", () => {
  it("passes redocly lint with the recommended rules, warnings counted as errors (redocly.yaml)", async () => {
    expect(await lint("redocly", ["lint"])).to.include("Your API description is valid");
  });

  it("passes spectral lint with the spectral:oas rules and no warning (.spectral.yaml)", async () => {
    expect(await lint("spectral", ["lint", "--fail-severity=warn", "src/interfaces/http/openapi.json"])).to.include("No results with a severity of 'warn' or higher");
  });
});
