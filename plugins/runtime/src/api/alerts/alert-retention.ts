import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { TaskLogger } from '@bulkhead/plugin-sdk';
import { HOST_LOGGER, PLUGIN_DATABASE, type PluginDatabase } from '@bulkhead/plugin-sdk/api';
import type { RuntimeApiConfig } from '../config';
import { RUNTIME_API_CONFIG } from '../tokens';

/** How often old alerts are looked for. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/**
 * BULKHEAD_ALERT_RETENTION_DAYS: runtime alerts (findings of kind `runtime`) last seen longer
 * ago than that are deleted, at start-up and then hourly. Unset: alerts are kept. Every API
 * replica prunes; the DELETE is idempotent, so they need no coordination.
 */
@Injectable()
export class AlertRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(RUNTIME_API_CONFIG) private readonly config: RuntimeApiConfig,
    @Inject(PLUGIN_DATABASE) private readonly database: PluginDatabase,
    @Inject(HOST_LOGGER) private readonly logger: TaskLogger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.BULKHEAD_ALERT_RETENTION_DAYS === undefined) return;
    const run = (): void => void this.prune().catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'alert retention: prune failed'));
    run();
    this.timer = setInterval(run, RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes runtime alerts last seen more than the retention ago; returns how many. */
  async prune(now: Date = new Date()): Promise<number> {
    const days = this.config.BULKHEAD_ALERT_RETENTION_DAYS;
    if (days === undefined) return 0;
    const cutoff = new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
    // A SELECT around the DELETE: the driver answers rows for it (a bare DELETE's shape differs by driver).
    const [row] = await this.database.query<{ deleted: number }>(
      `WITH gone AS (DELETE FROM finding WHERE kind = 'runtime' AND last_seen_at < $1 RETURNING 1) SELECT count(*)::int AS deleted FROM gone`,
      [cutoff],
    );
    const deleted = row?.deleted ?? 0;
    if (deleted > 0) this.logger.info({ deleted, olderThanDays: days }, 'alert retention: old runtime alerts deleted');
    return deleted;
  }
}
