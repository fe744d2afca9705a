import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@bulkhead/common';
import { deleteUploadRow, expiredUploads, uploadRowExists } from '@bulkhead/persistence';
import type { DataSource } from 'typeorm';
import { filesOf } from './upload.service';

const UUID_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A file with no row that has not been written to for this long is a leftover (a crash mid-upload). */
const ORPHAN_AGE_MS = 60 * 60 * 1000;

/**
 * Removes expired uploads (file first, then row, so a crash in between leaves a row the next
 * sweep retries, never a file no row accounts for), and files no row names that have not grown
 * for an hour. An upload still named by a queued or running task is kept until that task ends.
 * Every API replica may sweep: each step is idempotent.
 */
export class UploadSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly root: string,
    private readonly folderOf: (team: string) => string,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'upload sweep failed; retried at the next interval'))
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns what it removed. */
  async sweep(now = new Date()): Promise<{ expired: number; orphans: number }> {
    let expired = 0;
    for (const { id, team } of await expiredUploads(this.dataSource, now)) {
      await rm(path.join(this.folderOf(team), id), { force: true });
      await deleteUploadRow(this.dataSource, id);
      expired++;
    }
    let orphans = 0;
    const teamFolders = (await readdir(this.root, { withFileTypes: true }).catch(() => [])).filter((entry) => entry.isDirectory() && entry.name.startsWith('team-'));
    for (const entry of teamFolders) {
      const folder = path.join(this.root, entry.name);
      for (const file of await filesOf(folder)) {
        if (!UUID_NAME.test(file.name) || now.getTime() - file.mtimeMs < ORPHAN_AGE_MS) continue;
        if (await uploadRowExists(this.dataSource, file.name)) continue;
        await rm(path.join(folder, file.name), { force: true });
        orphans++;
      }
    }
    if (expired + orphans > 0) this.logger.info({ expired, orphans }, 'uploads swept');
    return { expired, orphans };
  }
}
