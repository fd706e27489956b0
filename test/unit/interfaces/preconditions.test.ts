import { expect } from "chai";
import { conditionHolds } from "../../../src/domain/write-condition";
import { etagOf, noneMatchHits, readConditionFrom, rejectConditions, writeConditionFrom } from "../../../src/interfaces/http/preconditions";
import { RequestError } from "../../../src/interfaces/http/request-error";

describe("HTTP preconditions", () => {
  it("formats versions as strong entity-tags", () => {
    expect(etagOf("42")).to.equal('"42"');
  });

  it("turns If-Match / If-None-Match into write conditions", () => {
    expect(writeConditionFrom(undefined, undefined, true)).to.deep.equal({ kind: "none" });
    expect(writeConditionFrom("*", undefined, true)).to.deep.equal({ kind: "present" });
    expect(writeConditionFrom(undefined, "*", true)).to.deep.equal({ kind: "absent" });
    expect(writeConditionFrom('"1", W/"2" ,"3"', undefined, true)).to.deep.equal({ kind: "version-in", versions: ["1", "3"] });
    expect(writeConditionFrom('W/"2"', undefined, true)).to.deep.equal({ kind: "version-in", versions: [] });
  });

  it("rejects what it cannot honour instead of ignoring it", () => {
    const bad: [string | undefined, string | undefined, boolean][] = [
      ["*", "*", true], // both
      [undefined, '"1"', true], // If-None-Match with tags on a write
      [undefined, "*", false], // create-only on DELETE
      ["1", undefined, true], // unquoted tag
      ['"1" "2"', undefined, true], // missing comma
      ["", undefined, true],
    ];
    for (const [ifMatch, ifNoneMatch, createOnly] of bad) {
      expect(() => writeConditionFrom(ifMatch, ifNoneMatch, createOnly), `${ifMatch} / ${ifNoneMatch}`)
        .to.throw(RequestError)
        .with.property("code", "invalid-header");
    }
    expect(() => rejectConditions("*", undefined, "PUT /keys")).to.throw(RequestError);
    expect(() => rejectConditions(undefined, undefined, "PUT /keys")).to.not.throw();
  });

  it("evaluates read preconditions: If-None-Match weakly, If-Match strongly", () => {
    expect(noneMatchHits('W/"7"', "7")).to.equal(true);
    expect(noneMatchHits('"6", "7"', "7")).to.equal(true);
    expect(noneMatchHits("*", "7")).to.equal(true);
    expect(noneMatchHits('"6"', "7")).to.equal(false);
    expect(noneMatchHits(undefined, "7")).to.equal(false);
    const ifMatchHolds = (header: string | undefined) => conditionHolds(readConditionFrom(header), "7");
    expect(ifMatchHolds('"7"')).to.equal(true);
    expect(ifMatchHolds('"6", "7"')).to.equal(true);
    expect(ifMatchHolds('W/"7"')).to.equal(false);
    expect(ifMatchHolds("*")).to.equal(true);
    expect(ifMatchHolds(undefined)).to.equal(true);
  });
});
