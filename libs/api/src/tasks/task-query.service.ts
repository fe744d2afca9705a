import { Inject, Injectable } from '@nestjs/common';
import { TaskEntity } from '@bulkhead/persistence';
import { DataSource } from 'typeorm';
import type { Connection } from '../graphql/connection';
import { decodeCursor, pageSize } from '../graphql/cursor';
import { requireUuid } from '../graphql/ids';
import { toConnection } from '../graphql/keyset';
import { DATA_SOURCE } from '../tokens';
import { toTaskModel } from './task.mapper';
import type { Task, TaskFilter } from './task.model';

/** Reads tasks for the API: one by id, or a page of a filtered list, newest first. */
@Injectable()
export class TaskQueryService {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async get(id: string): Promise<Task | null> {
    const entity = await this.dataSource.getRepository(TaskEntity).findOneBy({ id: requireUuid(id, 'id') });
    return entity ? toTaskModel(entity) : null;
  }

  async list(filter: TaskFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Task>> {
    const limit = pageSize(first);
    const query = this.dataSource.getRepository(TaskEntity).createQueryBuilder('task');
    if (filter?.kind) query.andWhere('task.kind = :kind', { kind: filter.kind });
    if (filter?.type) query.andWhere('task.type = :type', { type: filter.type });
    if (filter?.status) query.andWhere('task.status = :status', { status: filter.status });
    const totalCount = await query.clone().getCount();
    if (after) {
      const [createdAt, id] = decodeCursor(after, 2);
      // Newest first: the next page holds rows strictly "before" the cursor in (created_at, id) order.
      query.andWhere('(task.created_at, task.id) < (:createdAt, :id)', { createdAt: String(createdAt), id: String(id) });
    }
    const rows = await query.orderBy('task.created_at', 'DESC').addOrderBy('task.id', 'DESC').take(limit + 1).getMany();
    return toConnection(rows, limit, totalCount, (row) => [row.createdAt.toISOString(), row.id], toTaskModel);
  }
}
