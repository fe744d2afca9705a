import type { DataSource, Repository } from 'typeorm';
import { FindingEntity, FindingStatus, ScheduleEntity, TaskEntity, type ScheduleChanges } from './entities';
import { isUuid } from './pagination';
import { scopedTeam, type TeamScope } from './team';
import { tableName } from './table-name';

/** The label every task a schedule submits carries, valued with the schedule's id (indexed: IDX_task_team_schedule_label). */
export const SCHEDULE_TASK_LABEL = 'bulkhead.io/schedule';

/** At most this many schedules per team: every one is a BullMQ job scheduler the runner keeps. */
export const MAX_SCHEDULES_PER_TEAM = 500;

export interface NewSchedule {
  /** The token creating it (its quota pays for the firings); null without one. */
  ownerTokenId: string | null;
  kind: string;
  type: string;
  input: unknown;
  cron: string;
  timezone: string;
}

export type ScheduleChangesPatch = Partial<Pick<ScheduleEntity, 'input' | 'cron' | 'timezone' | 'paused' | 'ownerTokenId'>>;

/**
 * Schedules of the scope's team (team.ts): another team's schedule is, for this store, one that
 * does not exist. ALL_TEAMS (the schedule runner) reads every team's and creates none.
 */
export class ScheduleStore {
  private readonly repo: Repository<ScheduleEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TeamScope,
  ) {
    this.repo = dataSource.getRepository(ScheduleEntity);
  }

  private where(id: string): { id: string; team?: string } {
    const team = scopedTeam(this.scope);
    return team === undefined ? { id } : { id, team };
  }

  async get(id: string): Promise<ScheduleEntity | null> {
    if (!isUuid(id)) return null;
    return this.repo.findOne({ where: this.where(id) });
  }

  /** The team's schedules (every team's for ALL_TEAMS), oldest first. */
  async list(): Promise<ScheduleEntity[]> {
    const team = scopedTeam(this.scope);
    return this.repo.find({ where: team === undefined ? {} : { team }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async create(schedule: NewSchedule): Promise<ScheduleEntity> {
    const team = scopedTeam(this.scope);
    if (team === undefined) throw new Error('ScheduleStore: schedules are created for a team, not ALL_TEAMS');
    if ((await this.repo.count({ where: { team } })) >= MAX_SCHEDULES_PER_TEAM) {
      throw new ScheduleLimitError(`a team has at most ${MAX_SCHEDULES_PER_TEAM} schedules`);
    }
    return this.repo.save(this.repo.create({ ...schedule, team, paused: false }));
  }

  /** Null when the schedule does not exist (in this team). */
  async update(id: string, patch: ScheduleChangesPatch): Promise<ScheduleEntity | null> {
    const existing = await this.get(id);
    if (!existing) return null;
    return this.repo.save(this.repo.merge(existing, patch));
  }

  /** False when the schedule does not exist (in this team). */
  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const result = await this.repo.delete(this.where(id));
    return (result.affected ?? 0) > 0;
  }

  /** Records a firing: the task it submitted (or why it could not), what changed since the previous one. */
  async recordRun(id: string, run: { at: Date; taskId: string | null; error: string | null; changes: ScheduleChanges | null }): Promise<void> {
    await this.repo
      .createQueryBuilder()
      .update(ScheduleEntity)
      .set({ lastRunAt: run.at, lastTaskId: run.taskId, lastError: run.error, lastChanges: run.changes, runCount: () => 'run_count + 1' })
      .where(this.where(id))
      .execute();
  }

  /**
   * What the finding lifecycle recorded between two instants on the findings the schedule's
   * tasks (labelled `bulkhead.io/schedule` = its id) last reported: first seen or reopened (new),
   * resolved. Counted from first_seen_at / reopened_at / resolved_at; the tasks through the
   * partial index on that label (IDX_task_team_schedule_label), the findings through their
   * indexed task_id: no scan of the team's tasks.
   */
  async changesBetween(team: string, scheduleId: string, since: Date, until: Date): Promise<ScheduleChanges> {
    const findings = tableName(this.dataSource, FindingEntity);
    const tasks = tableName(this.dataSource, TaskEntity);
    const [row]: { new_findings: string; resolved_findings: string }[] = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE (f.first_seen_at > $2 AND f.first_seen_at <= $3) OR (f.reopened_at > $2 AND f.reopened_at <= $3)) AS new_findings,
              count(*) FILTER (WHERE f.status = '${FindingStatus.RESOLVED}' AND f.resolved_at > $2 AND f.resolved_at <= $3) AS resolved_findings
         FROM ${findings} AS f
        WHERE f.team = $1
          AND f.task_id IN (SELECT t.id FROM ${tasks} AS t WHERE t.team = $1 AND t.labels ? '${SCHEDULE_TASK_LABEL}' AND t.labels ->> '${SCHEDULE_TASK_LABEL}' = $4)
          AND (f.first_seen_at > $2 OR f.reopened_at > $2 OR f.resolved_at > $2)`,
      [team, since, until, scheduleId],
    );
    return {
      since: since.toISOString(),
      until: until.toISOString(),
      newFindings: Number(row?.new_findings ?? 0),
      resolvedFindings: Number(row?.resolved_findings ?? 0),
    };
  }
}

export class ScheduleLimitError extends Error {
  override name = 'ScheduleLimitError';
}
