import { POSTGRES_SKIP_REASON, postgresTestUrl, resetPostgres } from "./postgres";

export interface Backend {
  readonly name: string;
  /** Environment for the service under test; prepares the backend (a fresh schema for PostgreSQL). */
  env(): Promise<Record<string, string>>;
}

/**
 * The storage backends the HTTP suites run against: memory always, and a
 * PostgreSQL server when TEST_DATABASE_URL is set, so an input that only the
 * SQL path mishandles shows up as a failing HTTP test, not as a 500 in production.
 */
export function describeForEachBackend(title: string, suite: (backend: Backend) => void): void {
  const url = postgresTestUrl();
  const backends: Backend[] = [{ name: "memory", env: () => Promise.resolve({ STORAGE: "memory" }) }];
  if (url !== null) {
    backends.push({
      name: "postgres",
      env: async () => {
        await resetPostgres(url);
        return { STORAGE: "postgres", DATABASE_URL: url };
      },
    });
  }
  for (const backend of backends) describe(`${title} [${backend.name}]`, () => suite(backend));
  if (url === null) describe(`${title} [postgres] (${POSTGRES_SKIP_REASON})`, () => it.skip(POSTGRES_SKIP_REASON));
}
