import type { PluginKind } from '@bulkhead/plugin-sdk';
import { In, type DataSource, type QueryDeepPartialEntity, type Repository, type WhereExpressionBuilder } from 'typeorm';
import { TaskEntity, TaskStatus, UNFINISHED_TASK_STATUSES } from './entities';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import { resolveUnreportedFindings } from './finding-lifecycle';
import { findingRowToStored } from './finding-upsert';
import { DEFAULT_TEAM, scopedTeam, teamScope, type TeamScope } from './team';
import { decodeCursor, encodeCursor, InvalidCursorError, isUuid, pageSize, toConnection, type Connection, type PageRequest } from './pagination';

export interface NewTask {
  kind: PluginKind;
  type: string;
  /** Input already validated against the task's schema. */
  input: unknown;
  /** Deterministic identity of the work; null for work that must always run anew. */
  dedupKey?: string | null;
  /** Id and version of the plugin registered for (kind, type) at submission. */
  pluginId?: string | null;
  pluginVersion?: string | null;
  /** String labels (validated by the submitter). */
  labels?: Record<string, string>;
  /** An existing task that submitted this one. */
  parentTaskId?: string | null;
}

export interface TaskFilter {
  status?: readonly TaskStatus[];
  kind?: PluginKind;
  type?: string;
  /** Any of these types. */
  types?: readonly string[];
  /** Tasks that produced this artifact (its row id). */
  artifactId?: string;
  /** Children of this task. */
  parentTaskId?: string;
  /** Every label given must be present with that value. */
  labels?: Record<string, string>;
}

/**
 * The filter's conditions on a query builder over tasks aliased `t` (shared by list and count,
 * so a connection's totalCount always counts what it pages).
 */
export function applyTaskFilter<Q extends WhereExpressionBuilder>(qb: Q, filter: TaskFilter): Q {
  if (filter.status?.length) qb.andWhere('t.status IN (:...status)', { status: filter.status });
  if (filter.kind) qb.andWhere('t.kind = :kind', { kind: filter.kind });
  if (filter.type) qb.andWhere('t.type = :type', { type: filter.type });
  if (filter.types?.length) qb.andWhere('t.type IN (:...types)', { types: filter.types });
  if (filter.artifactId) qb.andWhere('t.artifact_id = :artifactId', { artifactId: filter.artifactId });
  if (filter.parentTaskId) qb.andWhere('t.parent_task_id = :parentTaskId', { parentTaskId: filter.parentTaskId });
  if (filter.labels && Object.keys(filter.labels).length > 0) qb.andWhere('t.labels @> CAST(:labels AS jsonb)', { labels: JSON.stringify(filter.labels) });
  return qb;
}

/** A transition was asked for from a state that does not allow it. */
export class TaskStateError extends Error {
  override readonly name = 'TaskStateError';
  constructor(
    readonly taskId: string,
    readonly status: TaskStatus | undefined,
    action: string,
  ) {
    super(status === undefined ? `task ${taskId} does not exist` : `cannot ${action} task ${taskId}: it is ${status}`);
  }
}

/**
 * Live identities: the same request while a task is queued or running is that task. A finished
 * one does not block a new one: the referenced image may have changed since, and result writes
 * are idempotent, so re-running adds no rows.
 */
const DEDUP_STATUSES = [TaskStatus.QUEUED, TaskStatus.RUNNING];
const UNIQUE_VIOLATION = '23505';

/**
 * Task rows and their state machine: QUEUED → RUNNING → SUCCEEDED | FAILED, RUNNING → QUEUED
 * (retry or release), QUEUED | RUNNING → CANCELLED. Every transition is one conditional UPDATE,
 * so two workers (or a worker and a cancel) can never both win.
 */
export class TaskStore {
  private readonly repo: Repository<TaskEntity>;

  /**
   * Every read and write is within the scope's team (team.ts): a task of another team is, for
   * this store, a task that does not exist. ALL_TEAMS (the worker, the reconciler) works on
   * rows of every team by id and creates none.
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TeamScope = teamScope(DEFAULT_TEAM),
  ) {
    this.repo = dataSource.getRepository(TaskEntity);
  }

  /** The scope's team as a `where` condition (none for ALL_TEAMS). */
  private teamWhere(): { team?: string } {
    const team = scopedTeam(this.scope);
    return team === undefined ? {} : { team };
  }

  /** `AND t.team = …` on a query builder, unless the scope is ALL_TEAMS. */
  private scoped<Q extends WhereExpressionBuilder>(qb: Q, alias: string | null = 't'): Q {
    const team = scopedTeam(this.scope);
    if (team !== undefined) qb.andWhere(`${alias === null ? '' : `${alias}.`}team = :scopeTeam`, { scopeTeam: team });
    return qb;
  }

  async get(id: string): Promise<TaskEntity | null> {
    if (!isUuid(id)) return null;
    return this.repo.findOneBy({ id, ...this.teamWhere() });
  }

  async findByDedupKey(dedupKey: string): Promise<TaskEntity | null> {
    return this.repo.findOneBy({ dedupKey, status: In(DEDUP_STATUSES), ...this.teamWhere() });
  }

  /** Inserts a QUEUED task. */
  async create(task: NewTask): Promise<TaskEntity> {
    const team = scopedTeam(this.scope);
    if (team === undefined) throw new Error('tasks are created within a team: this store serves ALL_TEAMS');
    const entity = this.repo.create({
      team,
      kind: task.kind,
      type: task.type,
      input: task.input,
      dedupKey: task.dedupKey ?? null,
      pluginId: task.pluginId ?? null,
      pluginVersion: task.pluginVersion ?? null,
      labels: task.labels ?? {},
      parentTaskId: task.parentTaskId ?? null,
      status: TaskStatus.QUEUED,
    });
    return this.repo.save(entity);
  }

  /**
   * Returns the live task with the same dedup key, or creates one. Safe under concurrency: the
   * partial unique index decides, and the loser reads the winner's row.
   */
  async createOrGet(task: NewTask): Promise<{ task: TaskEntity; created: boolean }> {
    if (!task.dedupKey) return { task: await this.create(task), created: true };
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.findByDedupKey(task.dedupKey);
      if (existing) return { task: existing, created: false };
      try {
        return { task: await this.create(task), created: true };
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        // Someone inserted the same identity between our read and our insert: read theirs.
      }
    }
    throw new Error(`could not create or find task with dedup key ${task.dedupKey}`);
  }

  /** Newest first, keyset-paginated on (createdAt, id). */
  async list(filter: TaskFilter = {}, page: PageRequest = {}): Promise<Connection<TaskEntity>> {
    const size = pageSize(page.first);
    const qb = this.repo.createQueryBuilder('t').where('true').orderBy('t.created_at', 'DESC').addOrderBy('t.id', 'DESC').take(size + 1);
    this.scoped(applyTaskFilter(qb, filter));
    if (page.after) {
      const [createdAt, id] = decodeCursor(page.after, 2) as [string, string];
      if (Number.isNaN(Date.parse(createdAt)) || !isUuid(id)) throw new InvalidCursorError(page.after);
      qb.andWhere('(t.created_at, t.id) < (:createdAt, :id)', { createdAt, id });
    }
    return toConnection(await qb.getMany(), size, taskCursor);
  }

  /** QUEUED/RUNNING tasks, oldest first, for the reconciler (keyset on createdAt, id). */
  async listUnfinished(options: { limit?: number; after?: { createdAt: Date; id: string } } = {}): Promise<TaskEntity[]> {
    const qb = this.repo
      .createQueryBuilder('t')
      .where('t.status IN (:...status)', { status: UNFINISHED_TASK_STATUSES })
      .orderBy('t.created_at', 'ASC')
      .addOrderBy('t.id', 'ASC')
      .take(options.limit ?? 500);
    if (options.after) qb.andWhere('(t.created_at, t.id) > (:createdAt, :id)', { createdAt: options.after.createdAt, id: options.after.id });
    return this.scoped(qb).getMany();
  }

  /**
   * Claims a task for a worker: QUEUED or RUNNING (a redelivery after a crash) becomes RUNNING and
   * attempts++. Returns null when the task is gone or already finished: the caller does nothing.
   */
  async markRunning(id: string): Promise<TaskEntity | null> {
    const update = this.repo
      .createQueryBuilder()
      .update(TaskEntity)
      .set({
        status: TaskStatus.RUNNING,
        attempts: () => 'attempts + 1',
        startedAt: () => 'COALESCE(started_at, now())',
        error: null,
      })
      .where('id = :id AND status IN (:...from)', { id, from: UNFINISHED_TASK_STATUSES });
    const result = await this.scoped(update, null).execute();
    return result.affected ? this.get(id) : null;
  }

  /** Records progress of a RUNNING task; false when it is no longer running. */
  async updateProgress(id: string, fraction: number, message?: string): Promise<boolean> {
    const result = await this.repo.update(
      { id, status: TaskStatus.RUNNING, ...this.teamWhere() },
      { progress: Math.min(1, Math.max(0, fraction)), ...(message === undefined ? {} : { progressMessage: message }) },
    );
    return Boolean(result.affected);
  }

  /** Tasks matching the filter. */
  async count(filter: TaskFilter = {}): Promise<number> {
    return this.scoped(applyTaskFilter(this.repo.createQueryBuilder('t').where('true'), filter)).getCount();
  }

  /**
   * RUNNING → SUCCEEDED, and in the same transaction the findings of the task's producer and
   * scope (and of the scopes it reported on completely) that this run did not report become
   * RESOLVED (finding-lifecycle.ts): a run that finished is the new truth about what it looked at.
   */
  async succeed(id: string, result: unknown): Promise<TaskEntity | null> {
    return (await this.succeedResolving(id, result))?.task ?? null;
  }

  /** succeed(), also returning the findings it RESOLVED (the worker announces them). */
  async succeedResolving(id: string, result: unknown): Promise<{ task: TaskEntity; resolved: StoredFinding[] } | null> {
    if (!isUuid(id)) return null;
    const resolved = await this.dataSource.transaction(async (manager) => {
      const update = await this.scoped(
        manager
          .createQueryBuilder()
          .update(TaskEntity)
          .set({ status: TaskStatus.SUCCEEDED, result: (result ?? null) as QueryDeepPartialEntity<unknown>, progress: 1, error: null, finishedAt: new Date() })
          .where('id = :id AND status IN (:...from)', { id, from: [TaskStatus.RUNNING] }),
        null,
      ).execute();
      if (!update.affected) return null;
      return (await resolveUnreportedFindings(manager, id)).map(findingRowToStored);
    });
    if (!resolved) return null;
    const task = await this.get(id);
    return task ? { task, resolved } : null;
  }

  async fail(id: string, error: string): Promise<TaskEntity | null> {
    return this.transition(id, UNFINISHED_TASK_STATUSES, { status: TaskStatus.FAILED, error, finishedAt: new Date() });
  }

  /** RUNNING → QUEUED: the attempt failed but will be retried, or the worker released it at shutdown. */
  async requeue(id: string, error?: string): Promise<TaskEntity | null> {
    return this.transition(id, [TaskStatus.RUNNING], { status: TaskStatus.QUEUED, ...(error === undefined ? {} : { error }) });
  }

  /** Cancels an unfinished task; throws TaskStateError when it is missing or already finished. */
  async cancel(id: string): Promise<TaskEntity> {
    const task = await this.transition(id, UNFINISHED_TASK_STATUSES, { status: TaskStatus.CANCELLED, finishedAt: new Date() });
    if (task) return task;
    throw new TaskStateError(id, (await this.get(id))?.status, 'cancel');
  }

  private async transition(id: string, from: readonly TaskStatus[], patch: QueryDeepPartialEntity<TaskEntity>): Promise<TaskEntity | null> {
    if (!isUuid(id)) return null;
    const update = this.repo.createQueryBuilder().update(TaskEntity).set(patch).where('id = :id AND status IN (:...from)', { id, from });
    const result = await this.scoped(update, null).execute();
    return result.affected ? this.get(id) : null;
  }
}

export function taskCursor(task: TaskEntity): string {
  return encodeCursor([task.createdAt.toISOString(), task.id]);
}
