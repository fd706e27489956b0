import { expect } from "chai";
import sinon from "sinon";
import {
  CHANGE_BUSY_INTERVAL_MS,
  CHANGE_MIN_INTERVAL_MS,
  ChangeNotifications,
} from "../../../src/infrastructure/storage/change-notifications";

describe("ChangeNotifications", () => {
  let clock: sinon.SinonFakeTimers;
  let notifications: ChangeNotifications;
  let fired: number;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "setInterval", "clearInterval", "performance"] });
    notifications = new ChangeNotifications(60_000);
    fired = 0;
    notifications.subscribe(() => fired++);
  });

  afterEach(() => {
    notifications.close();
    clock.restore();
  });

  /** Ticks 1 ms at a time until the listeners have fired `count` more times; returns how long that took (to within the 1 ms the last fire may have been ahead of its caller). */
  async function untilFired(count: number): Promise<number> {
    const start = performance.now();
    const target = fired + count;
    while (fired < target) await clock.tickAsync(1);
    return performance.now() - start;
  }

  it("fires nothing while nobody watches, here or elsewhere", async () => {
    notifications.notify();
    await clock.tickAsync(1_000);
    expect(fired).to.equal(0);
    notifications.watchedElsewhereFor(100);
    notifications.notify();
    await clock.tickAsync(1);
    expect(fired, "watched elsewhere").to.equal(1);
    await clock.tickAsync(200);
    notifications.notify();
    await clock.tickAsync(1_000);
    expect(fired, "after the other instance's watchers lapsed").to.equal(1);
  });

  it("fires at once when quiet, coalesces what comes meanwhile, and fires at most every 10 ms at a few writes per ms", async () => {
    notifications.setWanted(true);
    notifications.notify();
    expect(await untilFired(1)).to.be.at.most(1);
    for (let i = 0; i < 5; i++) notifications.notify();
    expect(await untilFired(1)).to.be.within(CHANGE_MIN_INTERVAL_MS - 1, CHANGE_MIN_INTERVAL_MS);
    await clock.tickAsync(1_000);
    expect(fired, "five notifications, one fire").to.equal(2);
  });

  it("fires every 50 ms instead while told more than once per ms, and every 10 ms again once that stops", async () => {
    notifications.setWanted(true);
    notifications.notify();
    await untilFired(1);
    // A write-saturated store: many notifications per millisecond.
    for (let i = 0; i < 50; i++) notifications.notify();
    expect(await untilFired(1)).to.be.within(CHANGE_MIN_INTERVAL_MS - 1, CHANGE_MIN_INTERVAL_MS);
    notifications.notify();
    expect(await untilFired(1)).to.be.within(CHANGE_BUSY_INTERVAL_MS - 1, CHANGE_BUSY_INTERVAL_MS);
    notifications.notify();
    expect(await untilFired(1)).to.be.within(CHANGE_MIN_INTERVAL_MS - 1, CHANGE_MIN_INTERVAL_MS);
  });
});
