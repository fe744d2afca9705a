import { applyTaskFilter, TaskEntity, type TaskFilter } from '@bulkhead/persistence';
import type { DataSource } from 'typeorm';

/*
 * Connection totals of tasks, with the store's own filter conditions (applyTaskFilter), so a
 * total counts exactly what the connection pages. (Findings count through HostFindings.)
 */

export function countTasks(dataSource: DataSource, filter: TaskFilter): Promise<number> {
  return applyTaskFilter(dataSource.getRepository(TaskEntity).createQueryBuilder('t'), filter).getCount();
}
