import { BadInputError } from '@bulkhead/plugin-sdk';
import type { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor, isUuid, MAX_PAGE_SIZE, toConnection, type Connection, type PageRequest } from './pagination';
import { DEFAULT_TEAM, scopedTeam, teamScope, type TeamScope } from './team';

/**
 * A task's log (table task_log, migration TaskLog1766000000200): what its plugin logged at info
 * and above, and the platform's lines about it. The worker appends a batch at a time
 * (libs/worker task-log.ts bounds and redacts them first); the API reads one task's lines,
 * oldest first, only when the task is of the request's team.
 *
 * Written in SQL rather than through an entity: the append is one `INSERT … SELECT FROM unnest`
 * of arrays (one statement and six parameters however many lines), which the repository API
 * cannot express.
 */

/** Levels as stored: pino's numbers. Debug (20) and trace are never stored. */
export const TASK_LOG_LEVELS = { info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type TaskLogLevelName = keyof typeof TASK_LOG_LEVELS;
export type TaskLogLevel = (typeof TASK_LOG_LEVELS)[TaskLogLevelName];

export function taskLogLevelName(level: number): TaskLogLevelName {
  if (level >= TASK_LOG_LEVELS.fatal) return 'fatal';
  if (level >= TASK_LOG_LEVELS.error) return 'error';
  if (level >= TASK_LOG_LEVELS.warn) return 'warn';
  return 'info';
}

/** One line to store. */
export interface TaskLogLine {
  at: Date;
  level: TaskLogLevel;
  message: string;
  /** Structured fields of the line (already bounded and redacted), or null. */
  fields: Record<string, unknown> | null;
}

export interface StoredTaskLogLine extends TaskLogLine {
  /** Row id (a bigint, as a decimal string): the order of a task's lines. */
  id: string;
  taskId: string;
  /** The attempt (task.attempts when it ran) that logged the line. */
  attempt: number;
}

/** What a task's stored lines amount to, for the per-task budget across attempts. */
export interface TaskLogUsage {
  lines: number;
  bytes: number;
}

export const DEFAULT_TASK_LOG_PAGE = 200;

export interface TaskLogPageRequest extends PageRequest {
  /** Only lines at this level or above. */
  minLevel?: TaskLogLevel;
}

const MAX_BIGINT = 9223372036854775807n;

interface TaskLogRow {
  id: string;
  task_id: string;
  attempt: number;
  at: Date;
  level: number;
  message: string;
  fields: Record<string, unknown> | null;
}

export class TaskLogStore {
  /** The worker appends with ALL_TEAMS (it writes under the task row, found by id); the API reads within the request's team. */
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TeamScope = teamScope(DEFAULT_TEAM),
  ) {}

  /** Appends lines to a task's log in one statement (nothing for none). The task must exist (foreign key). */
  async append(taskId: string, attempt: number, lines: readonly TaskLogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO task_log (task_id, attempt, at, level, message, fields)
       SELECT $1, $2, l.at, l.level, l.message, l.fields FROM unnest($3::timestamptz[], $4::smallint[], $5::text[], $6::jsonb[]) AS l(at, level, message, fields)`,
      [taskId, attempt, lines.map((l) => l.at.toISOString()), lines.map((l) => l.level), lines.map((l) => l.message), lines.map((l) => (l.fields === null ? null : JSON.stringify(l.fields)))],
    );
  }

  /** Lines and bytes (message and fields) a task has stored, over all its attempts. */
  async usage(taskId: string): Promise<TaskLogUsage> {
    const [row] = await this.dataSource.query<{ lines: number; bytes: string }[]>(
      `SELECT count(*)::int AS lines, COALESCE(sum(octet_length(message) + COALESCE(octet_length(fields::text), 0)), 0)::text AS bytes FROM task_log WHERE task_id = $1`,
      [taskId],
    );
    return { lines: row?.lines ?? 0, bytes: Number(row?.bytes ?? 0) };
  }

  /**
   * One page of a task's lines, oldest first (keyset on the row id). A task of another team, or
   * none, has no lines. `first` 1 to 500 (default 200); `after` an endCursor of this connection.
   */
  async page(taskId: string, request: TaskLogPageRequest = {}): Promise<Connection<StoredTaskLogLine>> {
    const size = request.first ?? DEFAULT_TASK_LOG_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new BadInputError(`first must be an integer between 1 and ${MAX_PAGE_SIZE} (got ${size})`);
    const after = request.after ? logCursor(request.after) : '0';
    if (!isUuid(taskId)) return toConnection([], size, () => '');
    const [teamCheck, params] = this.teamCheck([taskId, request.minLevel ?? TASK_LOG_LEVELS.info, after, size + 1]);
    const rows = await this.dataSource.query<TaskLogRow[]>(
      // ORDER BY the column, not the text alias `id` (which would sort "10" before "9").
      `SELECT l.id::text AS id, l.task_id, l.attempt, l.at, l.level, l.message, l.fields FROM task_log l
       WHERE l.task_id = $1 AND l.level >= $2 AND l.id > $3::bigint ${teamCheck}
       ORDER BY l.id LIMIT $4`,
      params,
    );
    return toConnection(rows.map(toLine), size, (line) => encodeCursor([line.id]));
  }

  /** How many lines of a task are at `minLevel` or above (0 for a task of another team). */
  async count(taskId: string, minLevel: TaskLogLevel = TASK_LOG_LEVELS.info): Promise<number> {
    if (!isUuid(taskId)) return 0;
    const [teamCheck, params] = this.teamCheck([taskId, minLevel]);
    const [row] = await this.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM task_log WHERE task_id = $1 AND level >= $2 ${teamCheck}`, params);
    return row?.n ?? 0;
  }

  /**
   * The team is checked on the task row, in the same statement (lines carry no team of their
   * own): `$1` is the task id; the team is the next parameter.
   */
  private teamCheck(params: unknown[]): [string, unknown[]] {
    const team = scopedTeam(this.scope);
    if (team === undefined) return ['', params];
    return [`AND EXISTS (SELECT 1 FROM task t WHERE t.id = $1 AND t.team = $${params.length + 1})`, [...params, team]];
  }
}

function toLine(row: TaskLogRow): StoredTaskLogLine {
  return { id: row.id, taskId: row.task_id, attempt: row.attempt, at: row.at, level: row.level as TaskLogLevel, message: row.message, fields: row.fields };
}

/** The row id in a cursor of this connection, checked: a forged one is a bad input, never SQL. */
function logCursor(cursor: string): string {
  const [id] = decodeCursor(cursor, 1);
  if (id === undefined || !/^[1-9][0-9]{0,18}$/.test(id) || BigInt(id) > MAX_BIGINT) throw new BadInputError(`invalid cursor ${JSON.stringify(cursor)}: pass the endCursor of a previous page of this task's logs`);
  return id;
}
