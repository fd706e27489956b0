import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ENVIRONMENT } from "../../src/infrastructure/config/config";
import { projectRoot } from "../../src/infrastructure/project-files";

/** Rows of the configuration table in docs/operations.md: variable -> default cell. */
function documentedVariables(): Map<string, string> {
  const doc = readFileSync(join(projectRoot(), "docs", "operations.md"), "utf8");
  const start = doc.indexOf("## Configuration");
  const section = doc.slice(start, doc.indexOf("\n## ", start + 1));
  return new Map([...section.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map(([, name, fallback]) => [name, fallback.trim()]));
}

describe("docs/operations.md configuration table", () => {
  it("lists exactly the variables the service reads, with the defaults it applies", () => {
    const documented = documentedVariables();
    expect([...documented.keys()]).to.deep.equal(ENVIRONMENT.map((variable) => variable.name));
    for (const variable of ENVIRONMENT.filter((candidate) => candidate.fallback !== "")) {
      expect(documented.get(variable.name), variable.name).to.equal(`\`${variable.fallback}\``);
    }
  });
});
