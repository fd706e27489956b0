export interface BatcherOptions {
  /** Batches sent and not yet answered at most; later calls wait and join the next batch. */
  readonly maxInFlight: number;
  /** Calls per batch at most. */
  readonly maxBatch: number;
}

interface Waiting<I, O> {
  readonly input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

/**
 * Coalesces concurrent calls into batches, so that many requests cost one
 * storage round trip. Calls made in one turn of the event loop go together
 * (a batch is sent from setImmediate); while `maxInFlight` batches are out,
 * new calls accumulate and leave together when one comes back. So batches
 * are small when the service is idle - a lone call waits for nothing but the
 * current turn - and grow with the load, which is when they pay.
 *
 * `run` answers a batch with one settled result per input, in order, so one
 * call can fail without failing the others; when `run` itself rejects, every
 * call of the batch rejects with that error.
 */
export class Batcher<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (inputs: I[]) => Promise<PromiseSettledResult<O>[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.run(batch.map((call) => call.input))
        .then(
          (results) =>
            batch.forEach((call, i) => {
              const result = results[i];
              if (result.status === "fulfilled") call.resolve(result.value);
              else call.reject(result.reason);
            }),
          (error: unknown) => batch.forEach((call) => call.reject(error)),
        )
        .finally(() => {
          this.inFlight--;
          this.schedule();
        });
    }
  }
}
