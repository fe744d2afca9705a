import { FindingEntity, TaskEntity, type FindingFilter, type TaskFilter } from '@bulkhead/persistence';
import type { DataSource } from 'typeorm';

/*
 * Connection totals. TaskStore and FindingStore page but do not count, so the API counts with the
 * same filters here (read-only, no other persistence logic). Move into the stores if they grow a
 * count of their own.
 */

export function countTasks(dataSource: DataSource, filter: TaskFilter): Promise<number> {
  const qb = dataSource.getRepository(TaskEntity).createQueryBuilder('t');
  if (filter.status?.length) qb.andWhere('t.status IN (:...status)', { status: filter.status });
  if (filter.kind) qb.andWhere('t.kind = :kind', { kind: filter.kind });
  if (filter.type) qb.andWhere('t.type = :type', { type: filter.type });
  return qb.getCount();
}

export function countFindings(dataSource: DataSource, filter: FindingFilter): Promise<number> {
  const qb = dataSource.getRepository(FindingEntity).createQueryBuilder('f');
  if (filter.target) qb.andWhere('f.target = :target', { target: filter.target });
  if (filter.kind) qb.andWhere('f.kind = :kind', { kind: filter.kind });
  if (filter.severity?.length) qb.andWhere('f.severity IN (:...severity)', { severity: filter.severity });
  if (filter.taskId) qb.andWhere('f.task_id = :taskId', { taskId: filter.taskId });
  return qb.getCount();
}
