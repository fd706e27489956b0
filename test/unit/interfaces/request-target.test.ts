import { expect } from "chai";
import { DomainError } from "../../../src/domain/domain-error";
import { RequestError } from "../../../src/interfaces/http/request-error";
import { keyFromPath, parseDigits, parseQuery } from "../../../src/interfaces/http/request-target";

describe("request target parsing", () => {
  it("decodes percent-encoded keys from the path", () => {
    expect(keyFromPath("/keys/a%2Fb", "/keys/")).to.equal("a/b");
    expect(keyFromPath("/keys/%F0%9F%98%80", "/keys/")).to.equal("😀");
    expect(keyFromPath("/keys/a+b", "/keys/")).to.equal("a+b");
    expect(keyFromPath("/keys/%2525", "/keys/")).to.equal("%25");
  });

  it("rejects malformed escapes and invalid UTF-8 instead of keeping them literally", () => {
    for (const path of ["/keys/%ZZ", "/keys/%", "/keys/%C3%28", "/keys/%ED%A0%80", "/keys/%C0%AF", "/keys/%FF"]) {
      expect(() => keyFromPath(path, "/keys/"), path).to.throw(DomainError).with.property("code", "invalid-key");
    }
  });

  it("parses the query strictly", () => {
    expect([...parseQuery("filter=a%24b+c&limit=5", ["filter", "limit"])]).to.deep.equal([
      ["filter", "a$b c"],
      ["limit", "5"],
    ]);
    expect([...parseQuery("filter=", ["filter"])]).to.deep.equal([["filter", ""]]);
    expect(parseQuery("", []).size).to.equal(0);
    const bad: [string, string[]][] = [
      ["expires_in=5", ["expire_in"]],
      ["limit=1&limit=2", ["limit"]],
      ["filter=%ZZ", ["filter"]],
      ["filter=%C3%28", ["filter"]],
    ];
    for (const [query, allowed] of bad) {
      expect(() => parseQuery(query, allowed), query).to.throw(RequestError).with.property("code", "invalid-query");
    }
  });

  it("accepts only plain decimal digits for numbers", () => {
    expect(parseDigits("expire_in", "60", "invalid-expiry", "")).to.equal(60);
    expect(parseDigits("expire_in", "007", "invalid-expiry", "")).to.equal(7);
    for (const text of ["", "+5", "-1", "1.5", "1e3", " 1", "0x10", "١", "99999999999999999"]) {
      expect(() => parseDigits("expire_in", text, "invalid-expiry", ""), text).to.throw(DomainError).with.property("code", "invalid-expiry");
    }
  });
});
