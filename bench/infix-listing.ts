/**
 * Does a filtered listing cost time in proportion to its matches? Loads N
 * keys that all match `$session$` into a running kv (KV_URL), then times the
 * full listing, the infix listing of all N matches, and a sparse infix
 * listing (1 key in 1,000). Prints one Markdown table row per listing.
 *
 *   KV_URL=http://127.0.0.1:8080 KEYS=400000 node dist-test/bench/infix-listing.js
 *
 * SKIP_LOAD=1 times the listings of keys loaded by an earlier run.
 */
const url = process.env.KV_URL ?? "http://127.0.0.1:8080";
const keys = Number(process.env.KEYS ?? 200_000);
const BATCH = 5_000;

async function load(): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < keys; start += BATCH) {
    const members: string[] = [];
    for (let i = start; i < Math.min(start + BATCH, keys); i++) {
      const rare = i % 1000 === 0 ? ":rare" : "";
      members.push(`"user:${String(i).padStart(7, "0")}:session${rare}":{"n":${i}}`);
    }
    const response = await fetch(`${url}/keys`, { method: "PUT", body: `{${members.join(",")}}`, headers: { "content-type": "application/json" } });
    if (!response.ok) throw new Error(`load failed: ${response.status} ${await response.text()}`);
  }
  return (performance.now() - started) / 1000;
}

async function timeListing(query: string): Promise<{ seconds: number; entries: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/keys${query}`);
  if (!response.ok) throw new Error(`${query}: ${response.status}`);
  const text = await response.text();
  const entries = text === "{}" ? 0 : text.split('":{"n":').length - 1;
  return { seconds: (performance.now() - started) / 1000, entries };
}

async function main(): Promise<void> {
  if (process.env.SKIP_LOAD !== "1") console.log(`loaded ${keys} keys in ${(await load()).toFixed(1)} s`);
  console.log("| listing | entries | seconds | ÷ full |");
  console.log("|---|---|---|---|");
  const full = await timeListing("");
  for (const [name, query] of [
    ["full", ""],
    ["infix `$session$` (every key)", "?filter=%24session%24"],
    ["infix `$rare` (1 in 1,000)", "?filter=%24rare"],
    ["prefix + suffix `user:$:session`", "?filter=user%3A%24%3Asession"],
  ] as const) {
    const result = query === "" ? full : await timeListing(query);
    console.log(`| ${name} | ${result.entries} | ${result.seconds.toFixed(2)} | ${(result.seconds / full.seconds).toFixed(2)} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
