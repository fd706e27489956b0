import { expect } from "chai";
import { compactJson, compactJsonInSlices, JsonSyntaxError, objectMembers, objectMembersInSlices, TooManyMembersError } from "../../../src/interfaces/http/lossless-json";

describe("lossless JSON scanner", () => {
  it("returns each value's text exactly as written, minus insignificant whitespace", () => {
    const cases: [string, string][] = [
      ["12345678901234567890", "12345678901234567890"],
      ["1e400", "1e400"],
      ["-0.000000000000000000000001", "-0.000000000000000000000001"],
      ["1E+2", "1E+2"],
      ['"a\\u0000b"', '"a\\u0000b"'],
      ['"\\ud800"', '"\\ud800"'],
      ['" spaces  inside "', '" spaces  inside "'],
      [' { "a" : [ 1 , 2 ] ,\n\t"b" : "x y" } ', '{"a":[1,2],"b":"x y"}'],
      ["[]", "[]"],
      ["{}", "{}"],
      ["true", "true"],
      ["null", "null"],
      ['"😀 é \\" \\\\"', '"😀 é \\" \\\\"'],
    ];
    for (const [input, expected] of cases) expect(compactJson(input), input).to.equal(expected);
  });

  it("handles nesting far deeper than a recursive parser could", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(compactJson(deep)).to.equal(deep);
  });

  it("rejects everything RFC 8259 rejects", () => {
    const invalid = [
      "", " ", "01", "1.", ".1", "+1", "-", "1e", "0x10", "NaN", "Infinity", "tru", "nul", "True",
      "'a'", '"a', '"\\x"', '"\\u12"', '"tab\there"', '"nl\n"', "[1,]", "[,1]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}",
      "[1 2]", "{\"a\":1 \"b\":2}", "1 2", "[", "]", "{", "}", "[1]]", "\u00a0 1", "/*c*/1",
    ];
    for (const input of invalid) expect(() => compactJson(input), JSON.stringify(input)).to.throw(JsonSyntaxError);
  });

  it("agrees with JSON.parse on validity for a spread of inputs", () => {
    const inputs = ['{"a":{"b":[1,{"c":null}]}}', '[1,"2",[3],{"4":5}]', '{"a":1,"a":2}', "[1e5, -2.5E-3, 0]", '"\\/\\b\\f\\n\\r\\t"', "[true,false,null]"];
    for (const input of inputs) {
      expect(() => void JSON.parse(input)).to.not.throw();
      expect(() => compactJson(input)).to.not.throw();
    }
  });

  describe("objectMembers", () => {
    it("splits an object into decoded names and raw values, in order", () => {
      expect(objectMembers('{"b": 12345678901234567890, "a\\u0041": {"x" : 1e400}, "": null}')).to.deep.equal([
        { name: "b", value: "12345678901234567890" },
        { name: "aA", value: '{"x":1e400}' },
        { name: "", value: "null" },
      ]);
    });

    it("keeps duplicate names (the caller decides) and __proto__ as an ordinary name", () => {
      expect(objectMembers('{"a":1,"a":2,"__proto__":3}')?.map((m) => m.name)).to.deep.equal(["a", "a", "__proto__"]);
    });

    it("returns [] for an empty object and null for JSON that is not an object", () => {
      expect(objectMembers(" {} ")).to.deep.equal([]);
      expect(objectMembers("[1]")).to.equal(null);
      expect(objectMembers('"x"')).to.equal(null);
    });

    it("rejects malformed objects and trailing data", () => {
      for (const input of ['{"a":1', '{"a":}', '{"a":1}x', '{"a":1}}', "{1:2}", "[1"]) {
        expect(() => objectMembers(input), input).to.throw(JsonSyntaxError);
      }
    });

    it("stops at the first member beyond the maximum, before reading further", () => {
      expect(() => objectMembers('{"a":1,"b":2,"c":', 2)).to.throw(TooManyMembersError, "more than 2 members");
      expect(objectMembers('{"a":1,"b":2}', 2)).to.have.length(2);
    });
  });

  describe("objectMembersInSlices", () => {
    const body = `{${Array.from({ length: 5_000 }, (_, i) => `"k${i}":[${i},"${"x".repeat(i % 50)}"]`).join(",")}}`;

    it("finds the same members as objectMembers, and the same errors", async () => {
      expect(await objectMembersInSlices(body, Infinity, 1)).to.deep.equal(objectMembers(body));
      expect(await objectMembersInSlices("[1]", Infinity, 1)).to.equal(null);
      const malformed = await objectMembersInSlices('{"a":1,}', Infinity, 1).then(() => null, (e: unknown) => e);
      expect(malformed).to.be.instanceOf(JsonSyntaxError);
      const tooMany = await objectMembersInSlices(body, 10, 1).then(() => null, (e: unknown) => e);
      expect(tooMany).to.be.instanceOf(TooManyMembersError);
    });

    it("gives the event loop a turn between slices", async () => {
      let otherWorkRan = false;
      setImmediate(() => (otherWorkRan = true));
      // A slice of 0 ms ends after every member.
      await objectMembersInSlices(body, Infinity, 0);
      expect(otherWorkRan).to.equal(true);
      otherWorkRan = false;
      setImmediate(() => (otherWorkRan = true));
      expect(objectMembers(body)).to.have.length(5_000);
      expect(otherWorkRan, "the synchronous scan gives no turn").to.equal(false);
    });

    it("gives the event loop turns inside one big value: a long string, a long array", async () => {
      for (const value of [`"${"é\\n".repeat(1_000_000)}"`, `[${Array.from({ length: 400_000 }, (_, i) => i).join(", ")}]`]) {
        let turns = 0;
        const counting = setInterval(() => turns++, 0);
        try {
          const members = await objectMembersInSlices(`{"big": ${value}}`, Infinity, 0);
          expect(members).to.deep.equal(objectMembers(`{"big": ${value}}`));
          expect(await compactJsonInSlices(value, 0)).to.equal(compactJson(value));
        } finally {
          clearInterval(counting);
        }
        expect(turns, value.slice(0, 20)).to.be.greaterThan(4);
      }
    });

    it("finds an error past the first pause inside a long string", async () => {
      const broken = `"${"x".repeat(1_000_000)}\\q"`;
      const error = await compactJsonInSlices(broken, 0).then(() => null, (e: unknown) => e);
      expect(error).to.be.instanceOf(JsonSyntaxError).with.property("position", 1_000_001);
      const unterminated = await compactJsonInSlices(`"${"x".repeat(1_000_000)}`, 0).then(() => null, (e: unknown) => e);
      expect(unterminated).to.be.instanceOf(JsonSyntaxError).with.property("message", "unterminated string at position 0");
    });
  });
});
