import { Inject, Injectable } from '@nestjs/common';
import { FindingEntity } from '@bulkhead/persistence';
import { DataSource } from 'typeorm';
import type { Connection } from '../graphql/connection';
import { decodeCursor, pageSize } from '../graphql/cursor';
import { requireUuid } from '../graphql/ids';
import { toConnection } from '../graphql/keyset';
import { DATA_SOURCE } from '../tokens';
import type { Finding, FindingFilter } from './finding.model';

/** Reads findings of every kind, most recently seen first. */
@Injectable()
export class FindingService {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async list(filter: FindingFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Finding>> {
    const limit = pageSize(first);
    const query = this.dataSource.getRepository(FindingEntity).createQueryBuilder('finding');
    if (filter?.kind) query.andWhere('finding.kind = :kind', { kind: filter.kind });
    if (filter?.severities?.length) query.andWhere('finding.severity IN (:...severities)', { severities: filter.severities });
    if (filter?.ruleId) query.andWhere('finding.rule_id = :ruleId', { ruleId: filter.ruleId });
    if (filter?.target) query.andWhere('finding.target = :target', { target: filter.target });
    if (filter?.taskId) query.andWhere('finding.task_id = :taskId', { taskId: requireUuid(filter.taskId, 'filter.taskId') });
    const totalCount = await query.clone().getCount();
    if (after) {
      const [lastSeenAt, id] = decodeCursor(after, 2);
      query.andWhere('(finding.last_seen_at, finding.id) < (:lastSeenAt, :id)', { lastSeenAt: String(lastSeenAt), id: String(id) });
    }
    const rows = await query.orderBy('finding.last_seen_at', 'DESC').addOrderBy('finding.id', 'DESC').take(limit + 1).getMany();
    return toConnection(rows, limit, totalCount, (row) => [row.lastSeenAt.toISOString(), row.id], toFindingModel);
  }
}

function toFindingModel(entity: FindingEntity): Finding {
  return {
    id: entity.id,
    kind: entity.kind,
    severity: entity.severity,
    ruleId: entity.ruleId,
    title: entity.title,
    target: entity.target,
    location: entity.location,
    data: entity.data,
    taskId: entity.taskId,
    firstSeenAt: entity.firstSeenAt,
    lastSeenAt: entity.lastSeenAt,
  };
}
