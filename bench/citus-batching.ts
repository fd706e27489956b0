import { Pool } from "pg";
import { databaseNodes, nodeCpuSeconds } from "./database-nodes";
import { PgPoolSqlClient } from "../src/infrastructure/storage/postgres/pg-pool-sql-client";
import { PostgresKeyValueRepository, type PendingWrite, type PointRead } from "../src/infrastructure/storage/postgres/postgres-key-value-repository";

/**
 * `node dist-test/bench/citus-batching.js`: on a Citus cluster
 * (BENCH_CITUS_URL, its kv tables already migrated and distributed), what a
 * coalesced batch costs as kv sends it - one statement for the whole batch -
 * against the batch split per shard (one statement per shard, sent
 * concurrently) and split per key. Four batches in flight, as kv does;
 * BENCH_DURATION seconds per variant (10), BATCH keys per batch (64 writes,
 * 256 reads). Prints keys per second and the CPU the coordinator and the
 * workers spent per key.
 */

const url = process.env.BENCH_CITUS_URL ?? "postgres://postgres@127.0.0.1:9700/kv";
const seconds = Number(process.env.BENCH_DURATION ?? 10);
const IN_FLIGHT = 4;
const KEYS = 20_000;

type Split = "one statement" | "per shard" | "per key";

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: url, max: 40 });
  const repository = new PostgresKeyValueRepository(new PgPoolSqlClient(pool), { schemaVersion: 1, deleteBatchRows: null, exactCountLimit: 10, distributed: true });
  const nodes = await databaseNodes(url);
  const keys = Array.from({ length: KEYS }, (_, i) => `batch-${String(i).padStart(6, "0")}`);
  const { rows } = await pool.query<{ key: string; shard: string }>("SELECT k AS key, get_shard_id_for_distribution_column('kv_entries', k)::text AS shard FROM unnest($1::text[]) AS k", [keys]);
  const shardOf = new Map(rows.map((row) => [row.key, row.shard]));
  for (let start = 0; start < KEYS; start += 1000) {
    await repository.putEach(keys.slice(start, start + 1000).map((key) => ({ entries: [{ key, value: "0" }], expiresAt: null, now: Date.now() })));
  }

  function split<T>(items: T[], keyOf: (item: T) => string, how: Split): T[][] {
    if (how === "one statement") return [items];
    if (how === "per key") return items.map((item) => [item]);
    const groups = new Map<string, T[]>();
    for (const item of items) {
      const shard = shardOf.get(keyOf(item))!;
      groups.set(shard, [...(groups.get(shard) ?? []), item]);
    }
    return [...groups.values()];
  }

  async function run(kind: "writes" | "reads", batch: number, how: Split): Promise<string> {
    let done = 0;
    let cursor = 0;
    const nextKeys = () => Array.from({ length: batch }, () => keys[cursor++ % KEYS]);
    const deadline = performance.now() + seconds * 1000;
    const cpuBefore = nodes.map(nodeCpuSeconds);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < deadline) {
          const now = Date.now();
          if (kind === "writes") {
            // A batch never repeats a key (kv's writeBatch starts a new statement when one would).
            const writes: PendingWrite[] = [...new Set(nextKeys())].map((key) => ({ entries: [{ key, value: String(cursor) }], expiresAt: null, now }));
            await Promise.all(split(writes, (write) => write.entries[0].key, how).map((group) => repository.putEach(group)));
            done += writes.length;
          } else {
            const reads: PointRead[] = nextKeys().map((key) => ({ key, now }));
            await Promise.all(split(reads, (read) => read.key, how).map((group) => repository.getEach(group)));
            done += reads.length;
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const cpu = nodes.map((node, i) => `${Math.round(((nodeCpuSeconds(node) - cpuBefore[i]) * 1e6) / done)}`);
    return `| ${kind}, ${batch} per batch | ${how} | ${Math.round(done / elapsed).toLocaleString("en")} | ${cpu.join(" | ")} |`;
  }

  console.log(`# Citus: coalesced batches as one statement, per shard, or per key — ${new Date().toISOString()}, ${seconds} s each, ${IN_FLIGHT} batches in flight`);
  console.log(`\n| batch | sent as | keys/s | ${nodes.map((node) => `${node.name} CPU µs/key`).join(" | ")} |`);
  console.log(`|---|---|---:|${nodes.map(() => "---:|").join("")}`);
  for (const [kind, batch] of [["writes", 64], ["reads", 256]] as const) {
    for (const how of ["one statement", "per shard", "per key"] as const) console.log(await run(kind, batch, how));
  }
  await pool.query("DELETE FROM kv_entries WHERE key LIKE 'batch-%'");
  await pool.end();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
