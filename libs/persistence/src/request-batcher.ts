/**
 * Answers requests in batches with at most one batch in flight: the first request goes at once
 * (on the next microtask, with any made in the same turn), and requests made while a batch runs
 * go together in the next one. Under load the batches grow by themselves; alone, a request pays
 * no wait. The worker claims and finishes its concurrent tasks this way (issue 15): eight
 * tasks' claims became one statement, one commit and one round trip instead of eight.
 *
 * `runBatch` answers each input at the same index. When a batch of several fails, each of its
 * inputs is tried alone, so a bad one (a result Postgres refuses) fails only its own request.
 */
export class RequestBatcher<I, O> {
  private queued: { input: I; resolve: (output: O) => void; reject: (error: unknown) => void }[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly runBatch: (inputs: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch = 64,
  ) {}

  run(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queued.push({ input, resolve, reject });
      this.running ??= Promise.resolve().then(() => this.drain());
    });
  }

  /** Resolves once every request made so far is answered. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued.length > 0) {
        const batch = this.queued.splice(0, this.maxBatch);
        try {
          this.settle(batch, await this.runBatch(batch.map((request) => request.input)));
        } catch (error) {
          if (batch.length === 1) batch[0]?.reject(error);
          else await this.oneByOne(batch);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async oneByOne(batch: typeof this.queued): Promise<void> {
    for (const request of batch) {
      try {
        this.settle([request], await this.runBatch([request.input]));
      } catch (error) {
        request.reject(error);
      }
    }
  }

  private settle(batch: typeof this.queued, outputs: readonly O[]): void {
    if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} requests was answered with ${outputs.length} results`);
    for (const [i, request] of batch.entries()) request.resolve(outputs[i] as O);
  }
}
