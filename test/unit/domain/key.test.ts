import { expect } from "chai";
import { DomainError } from "../../../src/domain/domain-error";
import { MAX_KEY_BYTES, validateKey } from "../../../src/domain/key";

describe("validateKey", () => {
  const rejects = (key: string, reason: RegExp) => {
    expect(() => validateKey(key)).to.throw(DomainError, reason).with.property("code", "invalid-key");
  };

  it("accepts any non-empty well-formed string without NUL", () => {
    for (const key of ["a", " ", "a/b", "%", "$", "\\", "😀", "\u0001", "é".repeat(512)]) expect(validateKey(key)).to.equal(key);
  });

  it("rejects the empty key", () => rejects("", /empty/));
  it("rejects NUL anywhere", () => rejects("a\u0000b", /NUL/));
  it("rejects lone surrogates, which have no UTF-8 form", () => {
    rejects("\ud800", /well-formed/);
    rejects("a\udc00", /well-formed/);
  });

  it("counts the limit in UTF-8 bytes, not characters", () => {
    expect(validateKey("a".repeat(MAX_KEY_BYTES))).to.have.length(1024);
    rejects("a".repeat(MAX_KEY_BYTES + 1), /1024 bytes/);
    expect(validateKey("é".repeat(512))).to.have.length(512); // 2 bytes each = 1024
    rejects("é".repeat(512) + "a", /1024 bytes/);
    expect(validateKey("😀".repeat(256))).to.have.length(512); // 4 bytes each = 1024
    rejects("😀".repeat(256) + "a", /1024 bytes/);
  });
});
