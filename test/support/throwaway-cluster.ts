import { execFile, execFileSync, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { freePort } from "./free-port";

/** Where Debian puts the server binaries (initdb, pg_ctl): /usr/lib/postgresql/<major>/bin. */
function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, "bin", "pg_ctl"))) : [];
  if (majors.length === 0) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)");
  return join(root, majors.sort((a, b) => Number(b) - Number(a))[0], "bin");
}

/**
 * A PostgreSQL cluster of the fault tests' own: initdb in a temporary
 * directory, on its own loopback port, so tests can crash it (`pg_ctl stop
 * -m immediate`: no shutdown checkpoint, like a power cut for the server
 * process) and restart it without touching the machine's cluster. PostgreSQL
 * refuses to run as root, so as root the cluster belongs to `postgres`.
 */
export class ThrowawayCluster {
  private constructor(
    readonly directory: string,
    readonly port: number,
    private readonly bin: string,
    readonly dataDir: string,
  ) {}

  /**
   * `dataOn`: a directory (another disk) to keep the data files on; the WAL
   * then stays in the cluster's own directory, so filling that disk fails
   * writes (SQLSTATE 53100) without stopping the server.
   */
  static async create(options: { dataOn?: string } = {}): Promise<ThrowawayCluster> {
    const bin = postgresBin();
    const directory = mkdtempSync(join(tmpdir(), "kv-pg-"));
    const dataDir = options.dataOn === undefined ? join(directory, "data") : join(options.dataOn, "pgdata");
    if (options.dataOn !== undefined) mkdirSync(dataDir);
    if (userInfo().uid === 0) {
      const { uid, gid } = postgresUser();
      chownSync(directory, uid, gid);
      if (options.dataOn !== undefined) chownSync(dataDir, uid, gid);
    }
    const cluster = new ThrowawayCluster(directory, await freePort(), bin, dataDir);
    const wal = options.dataOn === undefined ? [] : ["--waldir", join(directory, "wal")];
    await cluster.run("initdb", ["-D", dataDir, ...wal, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]);
    await cluster.start();
    return cluster;
  }

  url(database = "postgres"): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.directory} -c max_connections=60 -c shared_buffers=32MB`;
    await this.run("pg_ctl", ["start", "-D", this.dataDir, "-w", "-t", "60", "-l", join(this.directory, "server.log"), "-o", options]);
  }

  /** `immediate` = crash (recovery replays the WAL at the next start); `fast` = clean stop. */
  async stop(mode: "immediate" | "fast" = "fast"): Promise<void> {
    await this.run("pg_ctl", ["stop", "-D", this.dataDir, "-m", mode, "-w"]);
  }

  /**
   * SIGSTOP (or SIGCONT) to the server and all its backends: a server that
   * still holds its connections open but answers nothing, like a hung host.
   */
  signalAll(signal: "SIGSTOP" | "SIGCONT"): void {
    const postmaster = Number(readFileSync(join(this.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const children = spawnSync("pgrep", ["-P", String(postmaster)]).stdout.toString().split("\n").filter(Boolean).map(Number);
    for (const pid of [postmaster, ...children]) process.kill(pid, signal);
  }

  async createDatabase(name: string): Promise<string> {
    const client = new Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  /** Stops the server if it runs (whatever state a failed test left it in) and removes its files. */
  destroy(): void {
    const [file, args] = this.command("pg_ctl", ["stop", "-D", this.dataDir, "-m", "immediate"]);
    spawnSync(file, args, { stdio: "ignore" });
    rmSync(this.directory, { recursive: true, force: true });
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Runs without blocking this process: the tests' own load keeps going meanwhile. */
  private async run(tool: string, args: string[]): Promise<void> {
    const [file, fullArgs] = this.command(tool, args);
    await promisify(execFile)(file, fullArgs, { cwd: this.directory });
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const path = join(this.bin, tool);
    return userInfo().uid === 0 ? ["runuser", ["-u", "postgres", "--", path, ...args]] : [path, args];
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"]).toString().trim());
  return { uid: id("-u"), gid: id("-g") };
}
