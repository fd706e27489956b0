/** The request mixes the bench drives; every server under test gets the same ones. */
export interface Workload {
  readonly name: string;
  /** Servers that implement it (the baselines do not list or filter). */
  readonly baselines: boolean;
}

export const KEY_COUNT = 100_000;
export const keyName = (n: number): string => `bench-${String(n).padStart(7, "0")}`;

export const POINT_WORKLOADS: readonly Workload[] = [
  { name: "GET hit", baselines: true },
  { name: "GET miss", baselines: true },
  { name: "HEAD", baselines: true },
  { name: "PUT one key", baselines: true },
  { name: "PUT 100 keys", baselines: true },
  { name: "90% GET / 10% PUT", baselines: true },
];

export interface PlannedRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

/** The next request of a workload; `random` returns a float in [0, 1). */
export function nextRequest(workload: string, random: () => number): PlannedRequest {
  const key = () => keyName(Math.floor(random() * KEY_COUNT));
  const value = () => `{"n":${Math.floor(random() * 1e9)},"tag":"bench"}`;
  switch (workload) {
    case "GET hit":
      return { method: "GET", path: `/keys/${key()}` };
    case "GET miss":
      return { method: "GET", path: `/keys/missing-${key()}` };
    case "HEAD":
      return { method: "HEAD", path: `/keys/${key()}` };
    case "PUT one key":
      return { method: "PUT", path: `/keys/${key()}`, body: value() };
    case "PUT 100 keys": {
      const members = new Map<string, string>();
      while (members.size < 100) members.set(key(), value());
      return { method: "PUT", path: "/keys", body: `{${[...members].map(([k, v]) => `"${k}":${v}`).join(",")}}` };
    }
    case "90% GET / 10% PUT":
      return random() < 0.9 ? { method: "GET", path: `/keys/${key()}` } : { method: "PUT", path: `/keys/${key()}`, body: value() };
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}
