import type { PluginKind, Severity } from '@bulkhead/plugin-sdk';
import type { DataSource, Repository } from 'typeorm';
import { FindingEntity } from './entities';
import { decodeCursor, encodeCursor, InvalidCursorError, isUuid, pageSize, toConnection, type Connection, type PageRequest } from './pagination';

export interface FindingFilter {
  target?: string;
  kind?: PluginKind;
  severity?: readonly Severity[];
  taskId?: string;
}

/** Read side of findings of every kind. */
export class FindingStore {
  private readonly repo: Repository<FindingEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(FindingEntity);
  }

  async get(id: string): Promise<FindingEntity | null> {
    if (!isUuid(id)) return null;
    return this.repo.findOneBy({ id });
  }

  /** Most recently seen first, keyset-paginated on (lastSeenAt, id). */
  async list(filter: FindingFilter = {}, page: PageRequest = {}): Promise<Connection<FindingEntity>> {
    const size = pageSize(page.first);
    const qb = this.repo.createQueryBuilder('f').orderBy('f.last_seen_at', 'DESC').addOrderBy('f.id', 'DESC').take(size + 1);
    if (filter.target) qb.andWhere('f.target = :target', { target: filter.target });
    if (filter.kind) qb.andWhere('f.kind = :kind', { kind: filter.kind });
    if (filter.severity?.length) qb.andWhere('f.severity IN (:...severity)', { severity: filter.severity });
    if (filter.taskId) qb.andWhere('f.task_id = :taskId', { taskId: filter.taskId });
    if (page.after) {
      const [lastSeenAt, id] = decodeCursor(page.after, 2) as [string, string];
      if (Number.isNaN(Date.parse(lastSeenAt)) || !isUuid(id)) throw new InvalidCursorError(page.after);
      qb.andWhere('(f.last_seen_at, f.id) < (:lastSeenAt, :id)', { lastSeenAt, id });
    }
    return toConnection(await qb.getMany(), size, (f) => encodeCursor([f.lastSeenAt.toISOString(), f.id]));
  }
}
