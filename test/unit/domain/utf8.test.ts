import { expect } from "chai";
import { compareCodePoints, utf8ByteLength } from "../../../src/domain/utf8";

describe("utf8", () => {
  it("counts UTF-8 bytes like Buffer.byteLength", () => {
    for (const text of ["", "abc", "é", "€", "😀", "a😀é€\u007f\u0080\u07ff\u0800\uffff"]) {
      expect(utf8ByteLength(text), text).to.equal(Buffer.byteLength(text, "utf8"));
    }
  });

  it("orders by code point, which is UTF-8 byte order", () => {
    const keys = ["😀", "\uFFFD", "\uE000", "é", "z", "a", "B", "aa", "a\u0001", "\uD7FF"];
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...keys].sort(compareCodePoints)).to.deep.equal(byBytes);
    // JavaScript's default order differs exactly on astral vs U+E000..U+FFFF:
    expect(["\uFFFD", "😀"].sort()).to.deep.equal(["😀", "\uFFFD"]);
    expect(["\uFFFD", "😀"].sort(compareCodePoints)).to.deep.equal(["\uFFFD", "😀"]);
  });
});
