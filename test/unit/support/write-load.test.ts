import { expect } from "chai";
import { objectMembers } from "../../../src/interfaces/http/lossless-json";
import { startTestService } from "../../support/test-service";
import { waitFor } from "../../support/polling";
import { WriteLoad } from "../../support/write-load";

/** The fault suites trust WriteLoad.verify to fail on loss; prove that it does. */
describe("WriteLoad (the fault suites' durability check)", () => {
  let listing: string;
  let load: WriteLoad;

  before(async () => {
    const service = await startTestService();
    try {
      load = new WriteLoad("t-");
      load.start(() => `http://127.0.0.1:${service.service.port}`, 4);
      await waitFor(() => Promise.resolve(load.acknowledged > 10), 120_000, "a dozen acknowledged writes");
      await load.stop();
      listing = await (await fetch(`http://127.0.0.1:${service.service.port}/keys`)).text();
    } finally {
      await service.stop();
    }
  });

  const edited = (edit: (members: Map<string, string>) => void) => {
    const members = new Map(objectMembers(listing)!.map((m) => [m.name, m.value]));
    edit(members);
    return `{${[...members].map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(",")}}`;
  };

  it("accepts the listing of a server that kept everything", () => {
    expect(load.acknowledged).to.be.greaterThan(10);
    load.verify(listing);
  });

  it("fails when an acknowledged single-key write is missing", () => {
    expect(() => load.verify(edited((m) => m.delete("t-w0-0")))).to.throw(/acknowledged write t-w0-0 lost/);
  });

  it("fails when one key of a multi-key write is missing", () => {
    expect(() => load.verify(edited((m) => m.delete("t-w1-3.1")))).to.throw(/t-w1-3/);
  });

  it("fails when a value's text changed, even to an equal number", () => {
    expect(() => load.verify(edited((m) => m.set("t-w0-0", "1.2345678901234567e19")))).to.throw(/value of t-w0-0/);
  });

  it("fails when a key that was never sent appears", () => {
    expect(() => load.verify(edited((m) => m.set("t-w9-999", "1")))).to.throw(/never sent/);
  });
});
