/**
 * Plugins may report progress thousands of times a second; the row and the pub/sub channel get
 * at most one write per interval (the latest value wins), written one at a time.
 */
export class ProgressReporter {
  private latest: { fraction: number; message?: string } | undefined;
  private lastWrite = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly write: (fraction: number, message?: string) => Promise<void>,
    private readonly intervalMs = 500,
  ) {}

  report(fraction: number, message?: string): void {
    if (this.stopped) return;
    this.latest = { fraction, message };
    const wait = this.lastWrite + this.intervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Stops reporting and waits for a write in flight, so no progress lands after the final state. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
  }

  private flush(): void {
    this.timer = undefined;
    const value = this.latest;
    this.latest = undefined;
    if (!value || this.stopped) return;
    this.lastWrite = Date.now();
    this.writing = this.writing.then(() => this.write(value.fraction, value.message)).catch(() => undefined);
  }
}
