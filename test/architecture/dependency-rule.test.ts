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

interface LayerRule {
  readonly layer: string;
  /** Layers (top-level folders of src/) it may import from. */
  readonly layers: readonly string[];
  /** Packages it may import: none, or any but these. */
  readonly packages: "none" | { readonly except: readonly string[] };
}

/**
 * The dependency rule of the hexagon. The domain depends on nothing, the
 * application only on the domain: no framework, driver or Node I/O module, so
 * they run with an in-memory repository and a fake clock. The adapters on
 * either side (interfaces: HTTP and CLI; infrastructure: storage, logging,
 * metrics, config) depend on the inner layers and never on each other or on
 * the composition root, which is the only place that sees both - and the only
 * user of the DI container.
 */
const RULES: readonly LayerRule[] = [
  { layer: "domain", layers: ["domain"], packages: "none" },
  { layer: "application", layers: ["domain", "application"], packages: "none" },
  { layer: "interfaces", layers: ["domain", "application", "interfaces"], packages: { except: ["tsyringe", "pg", "winston", "@electric-sql/pglite"] } },
  { layer: "infrastructure", layers: ["domain", "application", "infrastructure"], packages: { except: ["tsyringe", "koa", "@koa/router", "koa-bodyparser"] } },
];

function violationsOf(rule: LayerRule): string[] {
  const files = sourceFiles(join(SRC, rule.layer));
  expect(files.length).to.be.greaterThan(0);
  const violations: string[] = [];
  for (const file of files) {
    for (const specifier of importsOf(file)) {
      if (!specifier.startsWith(".")) {
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
        if (rule.packages === "none" || rule.packages.except.includes(name)) violations.push(`${relative(ROOT, file)} imports package ${specifier}`);
        continue;
      }
      const target = relative(SRC, resolve(file, "..", specifier)).split("/")[0];
      if (!rule.layers.includes(target)) violations.push(`${relative(ROOT, file)} imports ${specifier} (${target})`);
    }
  }
  return violations;
}

describe("architecture: dependencies point inward", () => {
  for (const rule of RULES) {
    const packages = rule.packages === "none" ? "no package" : `any package but ${rule.packages.except.join(", ")}`;
    it(`src/${rule.layer} imports only from ${rule.layers.map((name) => `src/${name}`).join(", ")} and ${packages}`, () => {
      expect(violationsOf(rule)).to.deep.equal([]);
    });
  }

  it("the rules report imports from a layer or a package outside the allowed ones", () => {
    const lenient: LayerRule = { layer: "interfaces", layers: ["domain", "application"], packages: { except: ["koa"] } };
    expect(violationsOf(lenient).join("\n")).to.match(/imports package koa/).and.match(/\(interfaces\)/);
  });

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
    expect(scanned).to.include.members(["koa", "node:stream", "../../application/get-value"]);
  });
});
