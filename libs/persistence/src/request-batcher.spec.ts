import { RequestBatcher } from './request-batcher';

/** A batch runner that records its batches and answers each input doubled, after `release()`. */
function doubling(failOn?: (inputs: readonly number[]) => boolean) {
  const batches: number[][] = [];
  let gates: (() => void)[] = [];
  const batcher = new RequestBatcher<number, number>(async (inputs) => {
    batches.push([...inputs]);
    await new Promise<void>((resolve) => gates.push(resolve));
    if (failOn?.(inputs)) throw new Error(`refused ${inputs.join(',')}`);
    return inputs.map((n) => n * 2);
  }, 4);
  const release = async () => {
    // Let queued microtasks start the next batch before opening its gate.
    for (let i = 0; i < 5 && gates.length === 0; i++) await Promise.resolve();
    const open = gates;
    gates = [];
    for (const gate of open) gate();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batcher, batches, release };
}

describe('RequestBatcher', () => {
  it('sends the first request at once and gathers the ones made meanwhile into the next batch, at most maxBatch each', async () => {
    const { batcher, batches, release } = doubling();
    const first = batcher.run(1);
    await Promise.resolve();
    const later = [2, 3, 4, 5, 6].map((n) => batcher.run(n));
    await release();
    expect(await first).toBe(2);
    await release();
    await release();
    expect(await Promise.all(later)).toEqual([4, 6, 8, 10, 12]);
    expect(batches).toEqual([[1], [2, 3, 4, 5], [6]]);
    await batcher.idle();
  });

  it('requests made in the same turn share the first batch', async () => {
    const { batcher, batches, release } = doubling();
    const answers = Promise.all([7, 8, 9].map((n) => batcher.run(n)));
    await release();
    expect(await answers).toEqual([14, 16, 18]);
    expect(batches).toEqual([[7, 8, 9]]);
  });

  it('when a batch fails, tries each request alone, so only the bad one fails', async () => {
    const { batcher, batches, release } = doubling((inputs) => inputs.includes(13));
    const results = Promise.allSettled([11, 13, 15].map((n) => batcher.run(n)));
    for (let i = 0; i < 4; i++) await release();
    const settled = await results;
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([22, 'refused 13', 30]);
    expect(batches).toEqual([[11, 13, 15], [11], [13], [15]]);
    // And it keeps serving afterwards.
    const next = batcher.run(1);
    await release();
    expect(await next).toBe(2);
  });

  it('refuses an answer of the wrong length instead of resolving requests with the wrong results', async () => {
    const batcher = new RequestBatcher<number, number>(async () => [1]);
    const results = await Promise.allSettled([batcher.run(1), batcher.run(2)]);
    // The batch of two is answered with one result: each is then tried alone, and each alone gets one.
    expect(results).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'fulfilled', value: 1 },
    ]);
    const short = new RequestBatcher<number, number>(async () => []);
    await expect(short.run(1)).rejects.toThrow('a batch of 1 requests was answered with 0 results');
  });
});
