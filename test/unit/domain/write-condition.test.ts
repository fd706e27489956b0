import { expect } from "chai";
import { conditionHolds } from "../../../src/domain/write-condition";

describe("conditionHolds", () => {
  it("evaluates each condition against the current version (null = absent)", () => {
    expect(conditionHolds({ kind: "none" }, null)).to.equal(true);
    expect(conditionHolds({ kind: "none" }, "1")).to.equal(true);
    expect(conditionHolds({ kind: "absent" }, null)).to.equal(true);
    expect(conditionHolds({ kind: "absent" }, "1")).to.equal(false);
    expect(conditionHolds({ kind: "present" }, null)).to.equal(false);
    expect(conditionHolds({ kind: "present" }, "1")).to.equal(true);
    expect(conditionHolds({ kind: "version-in", versions: ["1", "2"] }, "2")).to.equal(true);
    expect(conditionHolds({ kind: "version-in", versions: ["1"] }, "2")).to.equal(false);
    expect(conditionHolds({ kind: "version-in", versions: ["1"] }, null)).to.equal(false);
  });
});
