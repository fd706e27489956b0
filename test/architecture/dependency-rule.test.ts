import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "..", "..", "..");
const SRC = join(ROOT, "src");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every module specifier a TypeScript file imports (static imports, re-exports, require and dynamic import). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const pattern = /(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\s+"([^"]+)"|require\("([^"]+)"\)|import\("([^"]+)"\)/g;
  return [...text.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? match[3] ?? match[4]);
}

/**
 * The dependency rule of the hexagon: the domain depends on nothing, the
 * application only on the domain. Neither may import a framework, a driver,
 * Node's I/O modules or an outer layer - so they can be tested with an
 * in-memory repository and a fake clock, and any adapter can be swapped.
 */
describe("architecture: dependencies point inward", () => {
  const layers: [string, string[]][] = [
    ["domain", ["domain"]],
    ["application", ["domain", "application"]],
  ];

  for (const [layer, allowed] of layers) {
    it(`src/${layer} imports only from ${allowed.map((name) => `src/${name}`).join(" and ")}`, () => {
      const files = sourceFiles(join(SRC, layer));
      expect(files.length).to.be.greaterThan(0);
      const violations: string[] = [];
      for (const file of files) {
        for (const specifier of importsOf(file)) {
          if (!specifier.startsWith(".")) {
            violations.push(`${relative(ROOT, file)} imports package ${specifier}`);
            continue;
          }
          const target = relative(SRC, resolve(file, "..", specifier)).split("/")[0];
          if (!allowed.includes(target)) violations.push(`${relative(ROOT, file)} imports ${specifier} (layer ${target})`);
        }
      }
      expect(violations).to.deep.equal([]);
    });
  }

  it("only the config module reads process.env, and only the system clock reads the wall clock", () => {
    const offenders = (pattern: RegExp, allowedFile: string) =>
      sourceFiles(SRC)
        .filter((file) => relative(SRC, file) !== allowedFile)
        .filter((file) => pattern.test(readFileSync(file, "utf8").replace(/^\s*(\/\/|\*).*$/gm, "")))
        .map((file) => relative(ROOT, file));
    expect(offenders(/process\.env/, "infrastructure/config/config.ts")).to.deep.equal([]);
    expect(offenders(/Date\.now\(\)|new Date\(\)/, "infrastructure/clock/system-clock.ts")).to.deep.equal([]);
  });

  it("the import scanner sees the imports it is meant to police", () => {
    const scanned = importsOf(join(SRC, "interfaces", "http", "keys-controller.ts"));
    expect(scanned).to.include.members(["tsyringe", "node:stream", "../../application/get-value"]);
  });
});
