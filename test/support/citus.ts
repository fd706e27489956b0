/**
 * A Citus cluster for tests: TEST_CITUS_URL, its coordinator's URL (and
 * TEST_CITUS_DIR, the cluster directory of `citus-cluster`, for the tests
 * that stop or kill nodes). When it is unset the Citus suites skip (their
 * titles say so), unless REQUIRE_CITUS=1, which turns a missing cluster into
 * a failure - CI sets both.
 */
export function citusTestUrl(): string | null {
  const url = process.env.TEST_CITUS_URL?.trim() || null;
  if (url === null && process.env.REQUIRE_CITUS === "1") {
    throw new Error("REQUIRE_CITUS=1 but TEST_CITUS_URL is not set");
  }
  return url;
}

export const CITUS_SKIP_REASON = "skipped: set TEST_CITUS_URL to run against a Citus cluster";
