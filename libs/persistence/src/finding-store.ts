import type { PluginKind, Severity } from '@bulkhead/plugin-sdk';
import type { DataSource, Repository, WhereExpressionBuilder } from 'typeorm';
import { FindingEntity, FindingStatus } from './entities';
import { checkSuppression, type SuppressionInput } from './finding-suppression';
import { DEFAULT_TEAM, teamScope, type TeamAccessor } from './team';
import { decodeCursor, encodeCursor, InvalidCursorError, isUuid, pageSize, toConnection, type Connection, type PageRequest } from './pagination';

export interface FindingFilter {
  target?: string;
  kind?: PluginKind;
  severity?: readonly Severity[];
  taskId?: string;
  /** Any of these lifecycle states. */
  status?: readonly FindingStatus[];
}

/**
 * The filter's conditions on a query builder over findings aliased `f` (shared by list and
 * count, so a connection's totalCount always counts what it pages).
 */
export function applyFindingFilter<Q extends WhereExpressionBuilder>(qb: Q, filter: FindingFilter): Q {
  if (filter.target) qb.andWhere('f.target = :target', { target: filter.target });
  if (filter.kind) qb.andWhere('f.kind = :kind', { kind: filter.kind });
  if (filter.severity?.length) qb.andWhere('f.severity IN (:...severity)', { severity: filter.severity });
  if (filter.taskId) qb.andWhere('f.task_id = :taskId', { taskId: filter.taskId });
  if (filter.status?.length) qb.andWhere('f.status IN (:...status)', { status: filter.status });
  return qb;
}

/**
 * Read side of findings of every kind, and the lifecycle changes a person makes (suppression),
 * within one team (team.ts): another team's finding is, here, one that does not exist.
 */
export class FindingStore {
  private readonly repo: Repository<FindingEntity>;
  private readonly team: () => string;

  constructor(dataSource: DataSource, scope: TeamAccessor = teamScope(DEFAULT_TEAM)) {
    this.repo = dataSource.getRepository(FindingEntity);
    this.team = scope;
  }

  /** Findings of the scope's team, aliased `f`. */
  private query() {
    return this.repo.createQueryBuilder('f').where('f.team = :team', { team: this.team() });
  }

  async get(id: string): Promise<FindingEntity | null> {
    if (!isUuid(id)) return null;
    return this.repo.findOneBy({ id, team: this.team() });
  }

  /** Most recently seen first, keyset-paginated on (lastSeenAt, id). */
  async list(filter: FindingFilter = {}, page: PageRequest = {}): Promise<Connection<FindingEntity>> {
    const size = pageSize(page.first);
    const qb = applyFindingFilter(this.query(), filter).orderBy('f.last_seen_at', 'DESC').addOrderBy('f.id', 'DESC').take(size + 1);
    if (page.after) {
      const [lastSeenAt, id] = decodeCursor(page.after, 2) as [string, string];
      if (Number.isNaN(Date.parse(lastSeenAt)) || !isUuid(id)) throw new InvalidCursorError(page.after);
      qb.andWhere('(f.last_seen_at, f.id) < (:lastSeenAt, :id)', { lastSeenAt, id });
    }
    return toConnection(await qb.getMany(), size, (f) => encodeCursor([f.lastSeenAt.toISOString(), f.id]));
  }

  async count(filter: FindingFilter = {}): Promise<number> {
    return applyFindingFilter(this.query(), filter).getCount();
  }

  /**
   * SUPPRESSED: a person decided the finding needs no action, with an optional reason, OpenVEX
   * justification and expiry (finding-suppression.ts; checkSuppression throws a
   * SuppressionInputError naming a bad field). Suppressing a suppressed finding replaces its
   * suppression. Reruns keep it suppressed (finding-lifecycle.ts). Null when there is no such finding.
   */
  async suppress(id: string, input: SuppressionInput = {}): Promise<FindingEntity | null> {
    const checked = checkSuppression(input);
    if (!isUuid(id)) return null;
    await this.repo.update(
      { id, team: this.team() },
      {
        status: FindingStatus.SUPPRESSED,
        resolvedAt: null,
        suppressionReason: checked.reason,
        suppressionJustification: checked.justification,
        suppressedUntil: checked.expiresAt,
        suppressedBy: checked.suppressedBy,
        suppressedAt: () => 'now()',
      },
    );
    return this.get(id);
  }

  /** Lifts a suppression and clears it: the finding is OPEN (a later run that does not report it resolves it). */
  async unsuppress(id: string): Promise<FindingEntity | null> {
    if (!isUuid(id)) return null;
    await this.repo
      .createQueryBuilder()
      .update()
      .set({ status: FindingStatus.OPEN, suppressionReason: null, suppressionJustification: null, suppressedUntil: null, suppressedBy: null, suppressedAt: null })
      .where('id = :id AND team = :team AND status = :status', { id, team: this.team(), status: FindingStatus.SUPPRESSED })
      .execute();
    return this.get(id);
  }

  /** The lifecycle and suppression columns of some findings of the team (Finding.suppression of a page), by id. */
  async suppressions(ids: readonly string[]): Promise<Map<string, FindingEntity>> {
    const valid = [...new Set(ids.filter(isUuid))];
    if (valid.length === 0) return new Map();
    const rows = await this.repo
      .createQueryBuilder('f')
      .select(['f.id', 'f.status', 'f.suppressionReason', 'f.suppressionJustification', 'f.suppressedUntil', 'f.suppressedBy', 'f.suppressedAt'])
      .where('f.team = :team AND f.id IN (:...ids)', { team: this.team(), ids: valid })
      .getMany();
    return new Map(rows.map((row) => [row.id, row]));
  }

  /**
   * The team's SUPPRESSED vulnerability findings (scanner findings of type `vulnerability`) of one
   * image id, oldest suppression first, at most `limit` + 1 (the caller says when there are more).
   */
  async suppressedVulnerabilities(imageId: string, limit: number): Promise<FindingEntity[]> {
    return this.query()
      .andWhere('f.target = :target AND f.status = :status AND f.kind = :kind', { target: imageId, status: FindingStatus.SUPPRESSED, kind: 'scanner' })
      .andWhere(`f.data->>'findingType' = 'vulnerability'`)
      .orderBy('f.suppressed_at', 'ASC', 'NULLS FIRST')
      .addOrderBy('f.id', 'ASC')
      .take(limit + 1)
      .getMany();
  }
}
