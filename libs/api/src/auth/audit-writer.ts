import type { Logger } from '@bulkhead/common';
import type { AuditEntry, AuditLogStore } from '@bulkhead/persistence';

/** Entries waiting beyond this many (Postgres far behind) are dropped, each drop logged as an error, rather than held without bound. */
const MAX_PENDING = 50_000;
const MAX_BATCH = 500;

/**
 * Writes the API's audit entries behind the responses (as before: a request never waits for
 * its audit row) with at most one INSERT in flight: entries arriving meanwhile are written
 * together by the next multi-row INSERT (issue 15: one commit per request was a fifth of a
 * task's statements). An idle API writes an entry on the next turn of the event loop; each
 * entry carries the time of its request. `flush()` (on close) waits until all are written.
 */
export class AuditWriter {
  private pending: AuditEntry[] = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly store: AuditLogStore,
    private readonly logger: Logger,
  ) {}

  append(entry: AuditEntry): void {
    if (this.pending.length >= MAX_PENDING) {
      this.logger.error({ operation: entry.operation, tokenId: entry.tokenId, team: entry.team }, 'audit log write failed: too many entries waiting for Postgres');
      return;
    }
    this.pending.push({ ...entry, at: entry.at ?? new Date() });
    this.writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        await this.store.appendMany(batch);
      } catch (error) {
        for (const entry of batch) this.logger.error({ err: (error as Error).message, operation: entry.operation, tokenId: entry.tokenId }, 'audit log write failed');
      }
    }
    this.writing = undefined;
  }
}
