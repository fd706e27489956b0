import { expect } from "chai";
import { DomainError } from "../../../src/domain/domain-error";
import { MAX_TTL_SECONDS, expiryFor, isLive } from "../../../src/domain/expiry";

describe("expiry", () => {
  const now = Date.UTC(2026, 0, 1);

  it("is now + TTL in milliseconds, or null without TTL", () => {
    expect(expiryFor(60, now)).to.equal(now + 60_000);
    expect(expiryFor(MAX_TTL_SECONDS, now)).to.equal(now + MAX_TTL_SECONDS * 1000);
    expect(expiryFor(null, now)).to.equal(null);
  });

  it("rejects TTLs outside 1..315360000 whole seconds", () => {
    for (const ttl of [0, -1, 1.5, MAX_TTL_SECONDS + 1, Number.NaN, Infinity]) {
      expect(() => expiryFor(ttl, now)).to.throw(DomainError).with.property("code", "invalid-expiry");
    }
  });

  it("a key is live strictly before its expiry instant and absent from it on", () => {
    expect(isLive(now + 1, now)).to.equal(true);
    expect(isLive(now, now)).to.equal(false);
    expect(isLive(now - 1, now)).to.equal(false);
    expect(isLive(null, now)).to.equal(true);
  });
});
