/** Small helpers the fault suites share: waiting, and reading one sample from /metrics. */

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 100 ms until it holds; fails after `timeoutMs`, naming `what`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await waitForValue(async () => ((await condition()) ? true : null), timeoutMs, what);
}

/** Polls `produce` every 100 ms until it gives something other than null; fails after `timeoutMs`, naming `what`. */
export async function waitForValue<T>(produce: () => Promise<T | null>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await produce();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await pause(100);
  }
}

/** The value of one sample in a Prometheus text exposition: `selector` is the name, with its labels if any. */
export function sampleValue(exposition: string, selector: string): number {
  const line = exposition.split("\n").find((candidate) => candidate.startsWith(`${selector} `));
  if (line === undefined) throw new Error(`${selector} not in the exposition`);
  return Number(line.slice(selector.length + 1));
}

/** Scrapes `${base}/metrics` and returns one sample's value. */
export async function scrapeValue(base: string, selector: string): Promise<number> {
  return sampleValue(await (await fetch(`${base}/metrics`)).text(), selector);
}
