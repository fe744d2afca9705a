import type { DataSource } from 'typeorm';

/** The variable naming how many days of delivery attempts are kept. */
export const DELIVERY_RETENTION_SETTING = 'BULKHEAD_NOTIFY_DELIVERY_RETENTION_DAYS';
export const DEFAULT_DELIVERY_RETENTION_DAYS = 30;

/** BULKHEAD_NOTIFY_DELIVERY_RETENTION_DAYS: a whole number of days, 1 to 3650 (default 30); anything else stops start-up, naming it. */
export function deliveryRetentionDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[DELIVERY_RETENTION_SETTING]?.trim();
  if (!text) return DEFAULT_DELIVERY_RETENTION_DAYS;
  const days = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(days) || days < 1 || days > 3650) {
    throw new DeliveryRetentionError(`${DELIVERY_RETENTION_SETTING}=${JSON.stringify(text)}: expected a whole number of days from 1 to 3650`);
  }
  return days;
}

export class DeliveryRetentionError extends Error {
  override readonly name = 'DeliveryRetentionError';
}

/**
 * Deletes delivery attempts older than the retention, in batches (one short statement each, so a
 * first sweep over months of a noisy channel holds no long lock and does not bloat one
 * transaction). Every API replica runs one; SKIP LOCKED lets two replicas' batches pass each other.
 */
export class DeliveryLogSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly retentionDays: number,
    private readonly logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
    private readonly batchSize = 5_000,
  ) {}

  start(intervalMs: number): void {
    const tick = (): void => {
      this.running ??= this.sweep()
        .then((deleted) => (deleted > 0 ? this.logger.info({ deleted, retentionDays: this.retentionDays }, 'old notification delivery attempts deleted') : undefined))
        .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'delivery log sweep failed; retried at the next interval'))
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass to the end; returns how many attempts it deleted. */
  async sweep(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.retentionDays * 86_400_000);
    let deleted = 0;
    for (;;) {
      const result: unknown = await this.dataSource.query(
        `DELETE FROM notification_delivery WHERE id IN (
           SELECT id FROM notification_delivery WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [cutoff, this.batchSize],
      );
      // TypeORM's postgres driver answers a DELETE with [rows, affectedCount].
      const count = Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
      deleted += count;
      if (count < this.batchSize) return deleted;
    }
  }
}
