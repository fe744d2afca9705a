import { applyFindingFilter, applyTaskFilter, FindingEntity, TaskEntity, type FindingFilter, type TaskFilter } from '@bulkhead/persistence';
import type { DataSource } from 'typeorm';

/*
 * Connection totals, with the stores' own filter conditions (applyTaskFilter,
 * applyFindingFilter), so a total counts exactly what the connection pages.
 */

export function countTasks(dataSource: DataSource, filter: TaskFilter): Promise<number> {
  return applyTaskFilter(dataSource.getRepository(TaskEntity).createQueryBuilder('t'), filter).getCount();
}

export function countFindings(dataSource: DataSource, filter: FindingFilter): Promise<number> {
  return applyFindingFilter(dataSource.getRepository(FindingEntity).createQueryBuilder('f'), filter).getCount();
}
