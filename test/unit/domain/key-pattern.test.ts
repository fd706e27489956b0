import { expect } from "chai";
import { DomainError } from "../../../src/domain/domain-error";
import { KeyPattern } from "../../../src/domain/key-pattern";

describe("KeyPattern", () => {
  // [pattern, keys it matches, keys it does not match]
  const table: [string, string[], string[]][] = [
    ["wo$d", ["wod", "word", "world", "wo$d", "woodd"], ["sword", "words", "Word", "wo", "wd", "wo"]],
    ["word", ["word"], ["words", "sword", "Word"]],
    ["$", ["a", "anything at all", "$"], []],
    ["$$", ["a", "ab"], []],
    ["a$", ["a", "ab", "a$"], ["ba", "A"]],
    ["$a", ["a", "ba"], ["ab"]],
    ["a$b$c", ["abc", "aXbYc", "abbc", "abcbc", "acbc"], ["ab", "ac", "acb", "abcx"]],
    ["ab$ab", ["abab", "abxab"], ["ab", "aba"]], // prefix and suffix may not overlap
    ["a$a$a", ["aaa", "abaca"], ["aa", "a"]],
    ["%", ["%"], ["a", "%%"]],
    ["_", ["_"], ["a"]],
    ["*", ["*"], ["a", "**"]],
    ["?", ["?"], ["a"]],
    [".", ["."], ["a"]],
    ["[a]", ["[a]"], ["a"]],
    ["'", ["'"], ["''"]],
    ["a\\$b", ["a$b"], ["ab", "axb", "a\\$b", "a\\b"]],
    ["a\\\\b", ["a\\b"], ["a\\\\b", "ab"]],
    ["a\\\\$", ["a\\", "a\\x"], ["a", "ax"]],
    ["a\\b", ["a\\b"], ["ab"]],
    ["a\\", ["a\\"], ["a"]],
    ["\\\\\\$", ["\\$"], ["\\", "$"]],
    ["😀$😀", ["😀😀", "😀x😀"], ["😀"]],
    ["é$", ["é", "éa"], ["e\u0301"]],
  ];

  for (const [source, yes, no] of table) {
    it(`${JSON.stringify(source)} matches ${JSON.stringify(yes)} and not ${JSON.stringify(no)}`, () => {
      const pattern = KeyPattern.parse(source);
      for (const key of yes) expect(pattern.matches(key), `${source} ~ ${key}`).to.equal(true);
      for (const key of no) expect(pattern.matches(key), `${source} !~ ${key}`).to.equal(false);
    });
  }

  it("splits into literal segments around unescaped $", () => {
    expect(KeyPattern.parse("a$b\\$c$").segments).to.deep.equal(["a", "b$c", ""]);
    expect(KeyPattern.parse("abc").segments).to.deep.equal(["abc"]);
    expect(KeyPattern.parse("abc").hasWildcard).to.equal(false);
    expect(KeyPattern.parse("a$").hasWildcard).to.equal(true);
  });

  it("rejects empty, NUL, ill-formed and oversized patterns", () => {
    for (const source of ["", "a\u0000", "\ud800$", "a".repeat(4097)]) {
      expect(() => KeyPattern.parse(source)).to.throw(DomainError).with.property("code", "invalid-filter");
    }
  });
});
