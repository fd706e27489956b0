import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const MAIN = join(__dirname, "..", "..", "src", "main.js");

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** The built server (dist/src/main.js) as a child process, as an operator would run it. */
export class ChildService {
  readonly logs: LogLine[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ level: "raw", message: line });
      }
    });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Starts the server and waits for its "listening" line (or its exit). */
  static async start(env: Record<string, string>, timeoutMs = 300_000, launcher: readonly string[] = []): Promise<ChildService> {
    // `launcher`: a command that runs node for us (e.g. unshare into new namespaces).
    const [file, ...args] = [...launcher, process.execPath, MAIN];
    const child = spawn(file, args, {
      env: { PATH: process.env.PATH, PORT: "0", HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const service = new ChildService(child);
    const deadline = Date.now() + timeoutMs;
    while (service.port === null) {
      if (child.exitCode !== null) throw new ServiceExitedError(child.exitCode, service.logs);
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`server did not start within ${timeoutMs} ms; logs: ${JSON.stringify(service.logs)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return service;
  }

  /** The pid of the process started (the launcher's, when there is one). */
  get pid(): number {
    return this.child.pid!;
  }

  get port(): number | null {
    const line = this.logs.find((log) => log.message === "listening");
    return line ? (line.port as number) : null;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sends a signal and resolves to the exit code (null when killed by the signal). */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }

  /** Resolves to the exit code of a process that exits on its own. */
  exit(): Promise<number | null> {
    return this.exited;
  }
}

export class ServiceExitedError extends Error {
  constructor(
    readonly code: number,
    readonly logs: LogLine[],
  ) {
    super(`server exited with ${code}: ${JSON.stringify(logs)}`);
  }
}
