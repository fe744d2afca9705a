import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** What changed in the schedule's team between two runs (finding lifecycle), recorded on the later run. */
export interface ScheduleChanges {
  /** Start of the window: the previous run. */
  since: string;
  /** End of the window: this run. */
  until: string;
  /** Findings first seen, or reopened, in the window. */
  newFindings: number;
  /** Findings that became RESOLVED in the window. */
  resolvedFindings: number;
}

/**
 * A cron schedule of a task (issue 11). Postgres is the source of truth: the BullMQ job
 * schedulers are re-created from these rows by the schedule runner's reconciler whenever Redis
 * lost them. Each firing submits a normal task labelled `bulkhead.io/schedule=<id>`.
 */
@Entity({ name: 'schedule' })
@Index('IDX_schedule_team_created_at', ['team', 'createdAt'])
export class ScheduleEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  team!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text' })
  type!: string;

  /** The input, validated against the task's schema when the schedule was created or updated. */
  @Column({ type: 'jsonb' })
  input!: unknown;

  /** Cron pattern (5 or 6 fields; BullMQ's cron-parser). */
  @Column({ type: 'text' })
  cron!: string;

  /** IANA time zone the pattern is read in. */
  @Column({ type: 'text' })
  timezone!: string;

  @Column({ type: 'boolean', default: false })
  paused!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'last_run_at', type: 'timestamptz', precision: 3, nullable: true })
  lastRunAt!: Date | null;

  /** The task the last firing submitted. */
  @Column({ name: 'last_task_id', type: 'uuid', nullable: true })
  lastTaskId!: string | null;

  /** The task the last firing could not submit, and why (the input no longer passes the server policy...). */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'last_changes', type: 'jsonb', nullable: true })
  lastChanges!: ScheduleChanges | null;

  @Column({ name: 'run_count', type: 'integer', default: 0 })
  runCount!: number;

  /**
   * The API token that created or last edited the schedule: its firings count against that
   * token's task quota (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN). Null for schedules from before
   * (no quota until the next edit) and for those made without a token.
   */
  @Column({ name: 'owner_token_id', type: 'uuid', nullable: true })
  ownerTokenId!: string | null;
}
