import { expect } from "chai";
import { ChildService } from "../support/child-service";
import { pause, waitFor } from "../support/polling";
import { temporaryDirectory } from "../support/test-storage";
import { ThrowawayCluster } from "../support/throwaway-cluster";
import { WriteLoad } from "../support/write-load";

const SERVER_CRASH_ROUNDS = 5;
const DATABASE_CRASH_ROUNDS = 3;
const WRITERS = 16;

const randomBetween = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

async function listing(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/keys`);
  expect(response.status).to.equal(200);
  return response.text();
}

// Hooks live inside this block, so they run for these suites only, not for the whole fault suite.
describe("crash durability", function () {
  /** Recorded for the docs: the figures of the last run (printed at the end). */
  const figures: string[] = [];
  after(() => figures.forEach((line) => console.log(`      ${line}`)));

  function describeServerCrashes(storage: string, environment: () => Promise<Record<string, string>>, cleanup: () => void): void {
    describe(`SIGKILL of the server under write load: ${storage}`, function () {
      this.timeout(240_000);
      after(cleanup);

      it(`loses no acknowledged write and invents none, over ${SERVER_CRASH_ROUNDS} crashes at random moments`, async () => {
        const env = { LOG_LEVEL: "info", ...(await environment()) };
        const loads: WriteLoad[] = [];
        for (let round = 0; round < SERVER_CRASH_ROUNDS; round++) {
          const server = await ChildService.start(env, 60_000);
          // Every earlier round's history still holds after this restart.
          const before = await listing(server.baseUrl);
          for (const load of loads) load.verify(before);
          const load = new WriteLoad(`crash${round}-`);
          loads.push(load);
          load.start(() => server.baseUrl, WRITERS);
          await pause(randomBetween(300, 1500));
          expect(await server.stop("SIGKILL")).to.equal(null);
          await load.stop();
          expect(load.acknowledged, "writes acknowledged before the crash").to.be.greaterThan(0);
        }
        const server = await ChildService.start(env, 60_000);
        try {
          const final = await listing(server.baseUrl);
          for (const load of loads) load.verify(final);
        } finally {
          await server.stop("SIGTERM");
        }
        const acknowledged = loads.reduce((sum, load) => sum + load.acknowledged, 0);
        const sent = loads.reduce((sum, load) => sum + load.sent, 0);
        figures.push(`${storage}: ${SERVER_CRASH_ROUNDS} server SIGKILLs, ${sent} writes sent, ${acknowledged} acknowledged, all present with exact values`);
      });
    });
  }

  let cluster: ThrowawayCluster | null = null;
  before(async function () {
    this.timeout(60_000);
    cluster = await ThrowawayCluster.create();
  });
  after(() => cluster?.destroy());

  describeServerCrashes("postgres", async () => ({ STORAGE: "postgres", DATABASE_URL: await cluster!.createDatabase("kv_crash") }), () => {});

  const pgliteDirectory = temporaryDirectory();
  describeServerCrashes("pglite", () => Promise.resolve({ STORAGE: "pglite", DATA_DIR: pgliteDirectory.path }), () => pgliteDirectory.remove());

  describe("PostgreSQL crash (pg_ctl stop -m immediate) under write load", function () {
    this.timeout(240_000);

    it(`loses no acknowledged write over ${DATABASE_CRASH_ROUNDS} database crashes, and the service heals without a restart`, async () => {
      const url = await cluster!.createDatabase("kv_db_crash");
      const server = await ChildService.start({ STORAGE: "postgres", DATABASE_URL: url, LOG_LEVEL: "info", DB_CONNECT_TIMEOUT_MS: "1000" });
      const loads: WriteLoad[] = [];
      try {
        for (let round = 0; round < DATABASE_CRASH_ROUNDS; round++) {
          const load = new WriteLoad(`dbcrash${round}-`);
          loads.push(load);
          load.start(() => server.baseUrl, WRITERS);
          await pause(randomBetween(300, 1500));
          await cluster!.stop("immediate");
          await pause(500);
          await cluster!.start();
          await waitFor(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 30_000, "ready after the database restart");
          await pause(300);
          await load.stop();
          expect(load.statuses.get(503) ?? 0, "writes refused while the database was down").to.be.greaterThan(0);
          const current = await listing(server.baseUrl);
          for (const each of loads) each.verify(current);
        }
      } finally {
        await server.stop("SIGTERM");
      }
      expect(server.logs.filter((log) => log.level === "error"), "error logs").to.deep.equal([]);
      const acknowledged = loads.reduce((sum, load) => sum + load.acknowledged, 0);
      const sent = loads.reduce((sum, load) => sum + load.sent, 0);
      figures.push(`postgres: ${DATABASE_CRASH_ROUNDS} database crashes, ${sent} writes sent, ${acknowledged} acknowledged, all present with exact values`);
    });
  });
});
