import { CITUS_SKIP_REASON, citusTestUrl } from "./citus";
import { POSTGRES_SKIP_REASON, postgresTestUrl, resetPostgres } from "./postgres";

export interface Backend {
  readonly name: string;
  /** Its STORAGE setting (Citus is reached as STORAGE=postgres). */
  readonly storage: string;
  /** Environment for the service under test; prepares the backend (a fresh schema for PostgreSQL). */
  env(): Promise<Record<string, string>>;
}

/**
 * The storage backends the HTTP suites run against: memory always, a
 * PostgreSQL server when TEST_DATABASE_URL is set and a Citus cluster when
 * TEST_CITUS_URL is, so an input that only the SQL path (or only its
 * distributed form) mishandles shows up as a failing HTTP test, not as a 500
 * in production.
 */
export function describeForEachBackend(title: string, suite: (backend: Backend) => void): void {
  const url = postgresTestUrl();
  const backends: Backend[] = [{ name: "memory", storage: "memory", env: () => Promise.resolve({ STORAGE: "memory" }) }];
  if (url !== null) {
    backends.push({
      name: "postgres",
      storage: "postgres",
      env: async () => {
        await resetPostgres(url);
        return { STORAGE: "postgres", DATABASE_URL: url };
      },
    });
  }
  const citus = citusTestUrl();
  if (citus !== null) {
    backends.push({
      name: "citus",
      storage: "postgres",
      env: async () => {
        await resetPostgres(citus);
        return { STORAGE: "postgres", DATABASE_URL: citus };
      },
    });
  }
  for (const backend of backends) describe(`${title} [${backend.name}]`, () => suite(backend));
  if (url === null) describe(`${title} [postgres] (${POSTGRES_SKIP_REASON})`, () => it.skip(POSTGRES_SKIP_REASON));
  if (citus === null) describe(`${title} [citus] (${CITUS_SKIP_REASON})`, () => it.skip(CITUS_SKIP_REASON));
}
