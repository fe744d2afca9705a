import { randomUUID } from 'node:crypto';
import type { PluginKind } from '@bulkhead/plugin-sdk';
import { In, IsNull, type DataSource, type QueryDeepPartialEntity, type Repository, type WhereExpressionBuilder } from 'typeorm';
import { TaskEntity, TaskStatus, UNFINISHED_TASK_STATUSES } from './entities';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import { EVENT_FINDING_KINDS, lifecycleTables, resolveCoveredPairsSql, resolveOwnPairSql } from './finding-lifecycle';
import { FINDING_RETURNING, type FindingRow } from './finding-row';
import { findingRowToStored } from './finding-upsert';
import { columnList, queryPrepared } from './prepared';
import { RequestBatcher } from './request-batcher';
import { tableName } from './table-name';
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

/**
 * Task rows and their state machine: QUEUED → RUNNING → SUCCEEDED | FAILED, RUNNING → QUEUED
 * (retry or release), QUEUED | RUNNING → CANCELLED. Every transition is one conditional UPDATE,
 * so two workers (or a worker and a cancel) can never both win.
 */
export class TaskStore {
  private readonly repo: Repository<TaskEntity>;
  /** The claim's text, built once (markRunning). */
  private claimSql?: string;
  /** The one-statement success's text, built once (succeedResolving). */
  private succeedSql?: string;
  /** The insert's text without and with `ON CONFLICT DO NOTHING`, built once each (insertRows). */
  private readonly insertSql: [string?, string?] = [];
  /** Concurrent claims (by team and `except` list) and successes (by team): one statement a batch. */
  private readonly claims = new Map<string, RequestBatcher<string, TaskEntity | null>>();
  private readonly successes = new Map<string, RequestBatcher<{ id: string; result: string }, { task: TaskEntity; resolved: StoredFinding[] } | null>>();

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
    // finished_at IS NULL: the live-dedup unique index.
    return this.repo.findOneBy({ dedupKey, status: In(DEDUP_STATUSES), finishedAt: IsNull(), ...this.teamWhere() });
  }

  /** Inserts a QUEUED task. */
  async create(task: NewTask): Promise<TaskEntity> {
    const created = await this.insert(task, false);
    if (!created) throw new Error('task insert returned no row');
    return created;
  }

  /**
   * Returns the live task with the same dedup key, or creates one, in one statement in the
   * common case: the insert goes through the partial unique index (INSERT … ON CONFLICT DO
   * NOTHING), and only a request that meets a live twin reads it. Safe under concurrency: the
   * index decides, the loser reads the winner's row (and tries again if that one finished meanwhile).
   */
  async createOrGet(task: NewTask): Promise<{ task: TaskEntity; created: boolean }> {
    if (!task.dedupKey) return { task: await this.create(task), created: true };
    for (let attempt = 0; attempt < 3; attempt++) {
      const created = await this.insert(task, true);
      if (created) return { task: created, created: true };
      const existing = await this.findByDedupKey(task.dedupKey);
      if (existing) return { task: existing, created: false };
      // The twin finished between our insert and our read: its key is free again.
    }
    throw new Error(`could not create or find task with dedup key ${task.dedupKey}`);
  }

  /**
   * createOrGet for many tasks (a batch submission), in order, with one multi-row INSERT … ON
   * CONFLICT DO NOTHING in the common case. The rows get their ids here, so the returned rows
   * are matched to the requests by id, not by the order of RETURNING. A task that met a live
   * twin (in the table, or earlier in the same batch) then goes through createOrGet, which reads
   * the twin: those are the only extra statements.
   */
  async createOrGetMany(tasks: readonly NewTask[]): Promise<{ task: TaskEntity; created: boolean }[]> {
    if (tasks.length === 0) return [];
    const ids = tasks.map(() => randomUUID());
    const rows = await this.insertRows(
      tasks.map((task, i) => ({ ...task, id: ids[i] as string })),
      true,
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const results: { task: TaskEntity; created: boolean }[] = [];
    for (const [i, task] of tasks.entries()) {
      const row = byId.get(ids[i] as string);
      results.push(row ? { task: row, created: true } : await this.createOrGet(task));
    }
    return results;
  }

  /** One INSERT … RETURNING; with `skipLive`, a live twin (same team and dedup key) makes it insert nothing (null). */
  private async insert(task: NewTask, skipLive: boolean): Promise<TaskEntity | null> {
    return (await this.insertRows([task], skipLive))[0] ?? null;
  }

  private async insertRows(tasks: readonly (NewTask & { id?: string })[], skipLive: boolean): Promise<TaskEntity[]> {
    const team = scopedTeam(this.scope);
    if (team === undefined) throw new Error('tasks are created within a team: this store serves ALL_TEAMS');
    // One prepared statement for any number of rows: a column per array (unnest), not a
    // parameter per value. No conflict target with `skipLive`: the only unique constraints of a
    // new row (a fresh uuid) are the live-dedup index's, so a live twin makes it insert nothing.
    const sql = (this.insertSql[skipLive ? 1 : 0] ??= `INSERT INTO ${tableName(this.dataSource, TaskEntity)}
          (id, team, kind, type, input, dedup_key, plugin_id, plugin_version, labels, parent_task_id, status)
        SELECT r.id, $2, r.kind, r.type, r.input::jsonb, r.dedup_key, r.plugin_id, r.plugin_version, r.labels::jsonb, r.parent_task_id, '${TaskStatus.QUEUED}'
          FROM unnest($1::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::uuid[])
            AS r(id, kind, type, input, dedup_key, plugin_id, plugin_version, labels, parent_task_id)
        ${skipLive ? 'ON CONFLICT DO NOTHING' : ''}
        RETURNING ${columnList(this.repo.metadata)}`);
    const column = <T>(value: (task: NewTask & { id?: string }) => T) => tasks.map(value);
    const rows = await queryPrepared<Record<string, unknown>>(this.dataSource, sql, [
      column((task) => task.id ?? randomUUID()),
      team,
      column((task) => task.kind),
      column((task) => task.type),
      column((task) => JSON.stringify(task.input ?? null)),
      column((task) => task.dedupKey ?? null),
      column((task) => task.pluginId ?? null),
      column((task) => task.pluginVersion ?? null),
      column((task) => JSON.stringify(task.labels ?? {})),
      column((task) => task.parentTaskId ?? null),
    ]);
    return rows.map((row) => this.fromRow(row));
  }

  /** A raw `task` row (RETURNING *) as the entity, by the entity's own column metadata. */
  private fromRow(row: Record<string, unknown>): TaskEntity {
    const entity = this.repo.create();
    for (const column of this.repo.metadata.columns) {
      if (column.databaseName in row) (entity as unknown as Record<string, unknown>)[column.propertyName] = row[column.databaseName];
    }
    return entity;
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
      // finished_at IS NULL: the partial index IDX_task_unfinished, in this order.
      .where('t.finished_at IS NULL AND t.status IN (:...status)', { status: UNFINISHED_TASK_STATUSES })
      .orderBy('t.created_at', 'ASC')
      .addOrderBy('t.id', 'ASC')
      .take(options.limit ?? 500);
    if (options.after) qb.andWhere('(t.created_at, t.id) > (:createdAt, :id)', { createdAt: options.after.createdAt, id: options.after.id });
    return this.scoped(qb).getMany();
  }

  /**
   * Claims a task for a worker: QUEUED or RUNNING (a redelivery after a crash) becomes RUNNING and
   * attempts++, in one UPDATE … RETURNING. Returns null when the task is gone or already
   * finished (the caller does nothing), or its `kind/type` is in `except` (a flow's parent,
   * claimed only once its children have finished: the caller reads the row and decides).
   * The update touches no indexed column (see the cheap-tasks migration), so it can be HOT.
   * Concurrent claims through one store share a statement (RequestBatcher).
   */
  async markRunning(id: string, options: { except?: readonly string[] } = {}): Promise<TaskEntity | null> {
    if (!isUuid(id)) return null;
    const except = options.except ?? [];
    // The team is read now, in the caller's context (an API store's scope is the request's team);
    // only claims of one team and one `except` list share a statement.
    const team = scopedTeam(this.scope);
    const key = `${team ?? ''}\u0000${except.join('\u0000')}`;
    let claims = this.claims.get(key);
    if (!claims) {
      claims = new RequestBatcher((ids: readonly string[]) => this.claimMany(ids, except, team));
      this.claims.set(key, claims);
    }
    return claims.run(id);
  }

  /** One claim statement for several tasks: each id's row as claimed, or null (same order as `ids`). */
  private async claimMany(ids: readonly string[], except: readonly string[], team: string | undefined): Promise<(TaskEntity | null)[]> {
    // A named prepared statement (prepared.ts): the claim runs for every task. Rows are locked in
    // the order the plan meets them; two batches can only overlap on a duplicate delivery, and a
    // deadlock there fails the batch, whose claims RequestBatcher then makes one by one.
    this.claimSql ??= `UPDATE ${tableName(this.dataSource, TaskEntity)}
          SET status = '${TaskStatus.RUNNING}', attempts = attempts + 1, started_at = COALESCE(started_at, now()), error = NULL, updated_at = now()
        WHERE id = ANY($1::uuid[]) AND status IN (${UNFINISHED_TASK_STATUSES.map((status) => `'${status}'`).join(', ')})
          AND (kind || '/' || type) <> ALL($2::text[])${team === undefined ? '' : ' AND team = $3'}
        RETURNING ${columnList(this.repo.metadata)}`;
    const params: unknown[] = [ids, except];
    if (team !== undefined) params.push(team);
    const rows = await queryPrepared<Record<string, unknown>>(this.dataSource, this.claimSql, params);
    const byId = new Map(rows.map((row) => [row['id'] as string, this.fromRow(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  private returningOne(result: { raw: unknown }): TaskEntity | null {
    const row = (result.raw as Record<string, unknown>[] | undefined)?.[0];
    return row ? this.fromRow(row) : null;
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

  /**
   * succeed(), also returning the findings it RESOLVED (the worker announces them). One
   * statement (one round trip, one commit): the task's UPDATE … RETURNING and the two resolving
   * UPDATEs of finding-lifecycle.ts as data-modifying CTEs over the updated row. They see the
   * same snapshot, so the covered-pairs update leaves out what the own-pair update resolved (a
   * statement may not update a row twice); both resolve nothing unless the task's row changed.
   * Concurrent successes through one store share the statement (RequestBatcher): as if they
   * committed together, each task resolving what it would have resolved alone.
   */
  async succeedResolving(id: string, result: unknown): Promise<{ task: TaskEntity; resolved: StoredFinding[] } | null> {
    if (!isUuid(id)) return null;
    // As for claims: the team is read in the caller's context, and only one team's successes share a statement.
    const team = scopedTeam(this.scope);
    let successes = this.successes.get(team ?? '');
    if (!successes) {
      successes = new RequestBatcher((inputs: readonly { id: string; result: string }[]) => this.succeedMany(inputs, team));
      this.successes.set(team ?? '', successes);
    }
    return successes.run({ id, result: JSON.stringify(result ?? null) });
  }

  /** One success statement for several RUNNING tasks (same order as `inputs`; null where a task was not RUNNING). */
  private async succeedMany(inputs: readonly { id: string; result: string }[], team: string | undefined): Promise<({ task: TaskEntity; resolved: StoredFinding[] } | null)[]> {
    const params: unknown[] = [inputs.map((input) => input.id), EVENT_FINDING_KINDS, inputs.map((input) => input.result)];
    if (team !== undefined) params.push(team);
    if (!this.succeedSql) {
      const tables = lifecycleTables(this.dataSource);
      // Each resolved finding names the task that resolved it (resolved_by), so each caller gets its own.
      this.succeedSql = `WITH input AS (SELECT * FROM unnest($1::uuid[], $3::text[]) AS i(id, result)),
       done AS (
         UPDATE ${tables.tasks} AS t
            SET status = '${TaskStatus.SUCCEEDED}', result = i.result::jsonb, progress = 1, error = NULL, finished_at = now(), updated_at = now()
           FROM input AS i
          WHERE t.id = i.id AND t.status = '${TaskStatus.RUNNING}'${team === undefined ? '' : ' AND t.team = $4'}
          RETURNING ${columnList(this.repo.metadata, 't.')}),
       own AS (${resolveOwnPairSql(tables, 'done', 'true')} RETURNING ${FINDING_RETURNING}, t.id AS resolved_by),
       covered AS (${resolveCoveredPairsSql(tables, 'f.id NOT IN (SELECT id FROM own)', 'c.task_id IN (SELECT id FROM done)')} RETURNING ${FINDING_RETURNING}, c.task_id AS resolved_by)
       SELECT ${columnList(this.repo.metadata, 'done.')},
              (SELECT COALESCE(jsonb_agg(r), '[]'::jsonb) FROM (SELECT * FROM own UNION ALL SELECT * FROM covered) AS r WHERE r.resolved_by = done.id) AS "resolved_findings"
         FROM done`;
    }
    // A named prepared statement (prepared.ts): planning the CTEs anew cost three times running them.
    const rows = await queryPrepared<Record<string, unknown> & { resolved_findings: FindingRow[] }>(this.dataSource, this.succeedSql, params);
    const byId = new Map(
      rows.map(({ resolved_findings: resolved, ...task }) => [task['id'] as string, { task: this.fromRow(task), resolved: resolved.map(findingRowToStored) }]),
    );
    return inputs.map((input) => byId.get(input.id) ?? null);
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

  /** One conditional UPDATE … RETURNING: the row as it now is, or null when the transition did not apply. */
  private async transition(id: string, from: readonly TaskStatus[], patch: QueryDeepPartialEntity<TaskEntity>): Promise<TaskEntity | null> {
    if (!isUuid(id)) return null;
    const update = this.repo.createQueryBuilder().update(TaskEntity).set(patch).where('id = :id AND status IN (:...from)', { id, from }).returning('*');
    return this.returningOne(await this.scoped(update, null).execute());
  }
}

export function taskCursor(task: TaskEntity): string {
  return encodeCursor([task.createdAt.toISOString(), task.id]);
}
