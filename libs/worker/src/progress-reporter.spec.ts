import { ProgressReporter } from './progress-reporter';

describe('ProgressReporter', () => {
  it('writes at most once per interval, the latest value, and nothing after stop', async () => {
    const writes: number[] = [];
    const reporter = new ProgressReporter(async (fraction) => void writes.push(fraction), 50);
    for (let i = 1; i <= 100; i++) reporter.report(i / 100);
    await new Promise((r) => setImmediate(r)); // writes are chained on a promise
    expect(writes).toEqual([0.01]);
    await new Promise((r) => setTimeout(r, 80));
    expect(writes).toEqual([0.01, 1]);
    reporter.report(0.5);
    await reporter.stop();
    await new Promise((r) => setTimeout(r, 80));
    expect(writes).toEqual([0.01, 1]);
  });
});
