import { ProgressReporter } from './progress-reporter';

describe('ProgressReporter', () => {
  // Fake timers (and Date.now): the interval is decided by the clock, not by how busy the machine is.
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes at most once per interval, the latest value, and nothing after stop', async () => {
    const writes: number[] = [];
    const reporter = new ProgressReporter(async (fraction) => void writes.push(fraction), 50);
    for (let i = 1; i <= 100; i++) reporter.report(i / 100);
    await jest.advanceTimersByTimeAsync(0); // writes are chained on a promise
    expect(writes).toEqual([0.01]);
    await jest.advanceTimersByTimeAsync(49);
    expect(writes).toEqual([0.01]);
    await jest.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([0.01, 1]);
    // Within the next interval: held back, then dropped by stop().
    await jest.advanceTimersByTimeAsync(10);
    reporter.report(0.5);
    await reporter.stop();
    await jest.advanceTimersByTimeAsync(200);
    expect(writes).toEqual([0.01, 1]);
    reporter.report(0.7);
    await jest.advanceTimersByTimeAsync(200);
    expect(writes).toEqual([0.01, 1]);
  });
});
