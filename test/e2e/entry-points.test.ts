import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ENVIRONMENT } from "../../src/infrastructure/config/config";
import { projectRoot } from "../../src/infrastructure/project-files";
import { ChildService, ServiceExitedError } from "../support/child-service";
import { freePort } from "../support/free-port";
import { waitFor, waitForValue } from "../support/polling";
import { temporaryDirectory } from "../support/test-storage";

const ENTRY_POINTS = {
  "the server (dist/src/main.js)": join(__dirname, "..", "..", "src", "main.js"),
  "the migrate command": join(__dirname, "..", "..", "src", "migrate.js"),
};

describe("entry points", () => {
  for (const [name, script] of Object.entries(ENTRY_POINTS)) {
    it(`${name}: --help prints usage and every environment variable with its default, exits 0 and does not touch storage`, () => {
      const directory = temporaryDirectory();
      const dataDir = join(directory.path, "data");
      const run = spawnSync(process.execPath, [script, "--help"], { env: { PATH: process.env.PATH, DATA_DIR: dataDir }, encoding: "utf8" });
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^Usage: /m);
      for (const variable of ENVIRONMENT) expect(run.stdout).to.match(new RegExp(`^  ${variable.name} +${(variable.fallback || "-").replace(/\./g, "\\.")} `, "m"));
      expect(existsSync(dataDir)).to.equal(false);
      directory.remove();
    });

    it(`${name}: an unknown argument is a usage error (exit 64), not a start`, () => {
      const run = spawnSync(process.execPath, [script, "--port=1"], { env: { PATH: process.env.PATH, STORAGE: "memory" }, encoding: "utf8" });
      expect(run.status).to.equal(64);
      expect(run.stderr).to.include('unknown argument "--port=1"').and.include("Usage: ");
    });
  }

  it("a port in use fails the start at once, naming PORT, before the embedded database is opened", async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const directory = temporaryDirectory();
    try {
      const port = (holder.address() as AddressInfo).port;
      const error = await ChildService.start({ STORAGE: "pglite", DATA_DIR: join(directory.path, "data"), PORT: String(port) }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(ServiceExitedError);
      const failure = (error as ServiceExitedError).logs.find((log) => log.message === "startup failed");
      expect(failure?.error).to.equal(
        `port ${port} on 127.0.0.1 is already in use; stop the other server or set PORT to another port (PORT=0 picks a free one)`,
      );
      expect((error as ServiceExitedError).logs.map((log) => log.message)).to.not.include("initialising a new data directory");
      expect(existsSync(join(directory.path, "data"))).to.equal(false);
    } finally {
      holder.close();
      directory.remove();
    }
  });

  it("while storage is not open yet (here: a database that does not answer), the bound port answers 503 + Retry-After with a problem body", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [ENTRY_POINTS["the server (dist/src/main.js)"]], {
      env: { PATH: process.env.PATH, PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: "postgres://kv@127.0.0.1:1/kv", DB_STARTUP_TIMEOUT_SECONDS: "600" },
      stdio: "ignore",
    });
    try {
      const answer = await waitForValue(() => fetch(`http://127.0.0.1:${port}/keys/a`).catch(() => null), 300_000, "the port to be bound");
      expect(answer.status).to.equal(503);
      expect(answer.headers.get("retry-after")).to.equal("5");
      expect(answer.headers.get("content-type")).to.equal("application/problem+json");
      expect(await answer.json()).to.deep.include({ type: "urn:kv:problem:storage-unavailable", detail: "the service is starting; storage is not open yet" });
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("npm start: only JSON log lines on stdout, first start from the prepared data directory, and SIGTERM to npm's pid stops the server and frees the port and the lock", async () => {
    const directory = temporaryDirectory();
    const npm = spawn("npm", ["start"], {
      cwd: projectRoot(),
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", STORAGE: "pglite", DATA_DIR: directory.path, DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    createInterface({ input: npm.stdout }).on("line", (line) => lines.push(line));
    npm.stderr.resume();
    const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
    const logs = () => lines.map((line) => JSON.parse(line) as { message: string; port?: number; from?: string });
    try {
      await waitFor(() => Promise.resolve(logs().some((log) => log.message === "listening") || npm.exitCode !== null), 300_000, "npm start listening");
      const port = logs().find((log) => log.message === "listening")?.port;
      expect(port, lines.join("\n")).to.be.a("number");
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
      expect(existsSync(join(directory.path, "kv.lock"))).to.equal(true);

      npm.kill("SIGTERM");
      expect(await exited).to.equal(0);
      expect(logs().map((log) => log.message)).to.include.members(["signal received", "stopped"]);
      expect(logs().find((log) => log.message === "initialising a new data directory")?.from).to.equal("prepared template");
      expect(await fetch(`http://127.0.0.1:${port}/healthz`).then(() => "answered", () => "refused")).to.equal("refused");
      expect(existsSync(join(directory.path, "kv.lock"))).to.equal(false);
    } finally {
      if (npm.exitCode === null) npm.kill("SIGKILL");
      directory.remove();
    }
  });
});
