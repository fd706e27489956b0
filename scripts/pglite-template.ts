import { PGlite } from "@electric-sql/pglite";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pgliteTemplatePath } from "../src/infrastructure/storage/pglite/pglite-template";

/**
 * `npm run pglite-template`: runs PGlite's initdb once and packs the fresh
 * data directory into assets/, where the service starts new data directories
 * from. Run it after upgrading @electric-sql/pglite (a test fails until then).
 */
async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "kv-pglite-template-"));
  try {
    const db = await PGlite.create(join(scratch, "data"));
    const packed = await db.dumpDataDir("gzip");
    await db.close();
    const target = pgliteTemplatePath();
    writeFileSync(target, Buffer.from(await packed.arrayBuffer()));
    console.log(`wrote ${target} (${packed.size} bytes)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
