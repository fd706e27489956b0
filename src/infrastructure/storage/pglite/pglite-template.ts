import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { projectRoot } from "../../project-files";

/**
 * A freshly initialised PGlite data directory, packed by PGlite's own
 * dumpDataDir and shipped in assets/ (`npm run pglite-template` makes it).
 * Starting from it instead of running initdb cuts the first start on an empty
 * DATA_DIR to about a third: initdb's bootstrap runs in WASM and dominates
 * that start. A data directory belongs to one PostgreSQL build, so the file
 * name carries PGlite's version; another version falls back to initdb.
 */
export function pgliteTemplatePath(version = installedPgliteVersion()): string {
  return join(projectRoot(), "assets", `pglite-${version}-data.tar.gz`);
}

/** The template for the installed PGlite, or null when none ships for it. */
export function availablePgliteTemplate(): string | null {
  const path = pgliteTemplatePath();
  return existsSync(path) ? path : null;
}

export function installedPgliteVersion(): string {
  // The package does not export its package.json; find it beside its entry point.
  let directory = dirname(require.resolve("@electric-sql/pglite"));
  while (!existsSync(join(directory, "package.json"))) directory = dirname(directory);
  return (JSON.parse(readFileSync(join(directory, "package.json"), "utf8")) as { version: string }).version;
}
