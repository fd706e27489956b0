import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { withClient } from "../test/support/postgres";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** A PostgreSQL server of the database under test (one, or a Citus coordinator and its workers), by its postmaster. */
export interface DatabaseNode {
  readonly name: string;
  readonly postmasterPid: number;
}

async function postmasterOf(url: string): Promise<number> {
  const { rows } = await withClient(url, (client) => client.query<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'data_directory'"));
  return Number(readFileSync(join(rows[0].setting, "postmaster.pid"), "utf8").split("\n")[0]);
}

/**
 * The servers behind `url`: the server itself, and when it is a Citus
 * coordinator, each worker (reached with the coordinator's user and
 * database). Needs a superuser and the servers on this machine.
 */
export async function databaseNodes(url: string): Promise<DatabaseNode[]> {
  const nodes: DatabaseNode[] = [];
  const workers = await withClient(url, async (client) => {
    const { rows } = await client.query<{ citus: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus");
    if (!rows[0].citus) return [];
    return (await client.query<{ nodename: string; nodeport: number }>("SELECT nodename, nodeport FROM pg_dist_node WHERE noderole = 'primary' AND groupid > 0 ORDER BY nodeport")).rows;
  });
  nodes.push({ name: workers.length > 0 ? "coordinator" : "PostgreSQL", postmasterPid: await postmasterOf(url) });
  for (const [i, worker] of workers.entries()) {
    const target = new URL(url);
    target.hostname = worker.nodename;
    target.port = String(worker.nodeport);
    nodes.push({ name: `worker ${i + 1}`, postmasterPid: await postmasterOf(target.toString()) });
  }
  return nodes;
}

function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ESRCH") return null; // it just exited
    throw error;
  }
}

/**
 * CPU seconds a server has used so far: its postmaster, its live processes
 * (backends, background workers), and the processes it has reaped.
 */
export function nodeCpuSeconds(node: DatabaseNode): number {
  const own = statFields(node.postmasterPid);
  if (own === null) return 0;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields !== null && Number(fields[1]) === node.postmasterPid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}
