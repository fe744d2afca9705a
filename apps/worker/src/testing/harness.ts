import { randomBytes } from 'node:crypto';
import { PackageEntity, FindingEntity, TaskStatus, type TaskEntity, type TaskStore } from '@bulkhead/persistence';
import type { DataSource } from 'typeorm';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A Redis key prefix of the suite's own. */
export function testPrefix(label: string): string {
  return `bhtest-${label}-${randomBytes(4).toString('hex')}`;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function waitForStatus(tasks: TaskStore, id: string, statuses: TaskStatus[], timeoutMs = 60_000): Promise<TaskEntity> {
  return waitFor(`task ${id} to reach ${statuses.join('/')}`, async () => {
    const task = await tasks.get(id);
    return task && statuses.includes(task.status) ? task : undefined;
  }, timeoutMs);
}

export const FINISHED = [TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED];

export async function rowCounts(dataSource: DataSource, artifactId: string, target: string) {
  return {
    packages: await dataSource.manager.countBy(PackageEntity, { artifactId }),
    findings: await dataSource.manager.countBy(FindingEntity, { target }),
  };
}
