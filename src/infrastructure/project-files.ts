import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The directory holding package.json and migrations/, found from this file (works from src/ under ts-node and from dist/). */
export function projectRoot(): string {
  let directory = __dirname;
  while (!existsSync(join(directory, "package.json"))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${__dirname}`);
    directory = parent;
  }
  return directory;
}

export function migrationsDirectory(): string {
  return join(projectRoot(), "migrations");
}

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8")) as { version?: string };
  return manifest.version ?? "0.0.0";
}
