/**
 * Runs `work` at once and then every `intervalMs` on a timer that does not keep the process
 * alive, never two runs at once in this process (a slow run is not joined by the next tick);
 * a failed run goes to `onError` and the next tick tries again. `stop()` waits for a run in
 * progress, so a caller can close the connections it uses afterwards.
 */
export class PeriodicRun {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(intervalMs: number): void {
    if (this.timer) return;
    const tick = () => {
      if (this.running) return;
      this.running = this.work()
        .catch(this.onError)
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
