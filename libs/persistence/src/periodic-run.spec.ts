import { PeriodicRun } from './periodic-run';

describe('PeriodicRun', () => {
  it('runs at once, never two runs at once, reports failures and keeps going, and stop() waits for the run in progress', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const errors: unknown[] = [];
    let release: () => void = () => undefined;
    const periodic = new PeriodicRun(
      async () => {
        runs++;
        active++;
        most = Math.max(most, active);
        if (runs === 1) throw new Error('first run fails');
        // The second run is slow: ticks meanwhile must not start another.
        if (runs === 2) await new Promise<void>((resolve) => (release = resolve));
        active--;
      },
      (error) => {
        active--;
        errors.push(error);
      },
    );
    periodic.start(5);
    expect(runs).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runs).toBe(2);
    let stopped = false;
    const stopping = periodic.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect([runs, most, errors.map((e) => (e as Error).message)]).toEqual([2, 1, ['first run fails']]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).toBe(2);
  });
});
