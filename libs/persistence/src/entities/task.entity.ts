import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { PluginKind } from '@bulkhead/plugin-sdk';
import { DEFAULT_TEAM } from '../team';
import { ArtifactEntity } from './artifact.entity';

/** Persisted task states (strings stored in Postgres: never rename a value). */
export enum TaskStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

export const FINISHED_TASK_STATUSES: readonly TaskStatus[] = [TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED];
export const UNFINISHED_TASK_STATUSES: readonly TaskStatus[] = [TaskStatus.QUEUED, TaskStatus.RUNNING];

export function isFinishedStatus(status: TaskStatus): boolean {
  return FINISHED_TASK_STATUSES.includes(status);
}

/**
 * One unit of plugin work. The row is the source of truth: it is written before its BullMQ job
 * (same id), and the worker reloads it and checks its state before doing anything.
 */
@Entity({ name: 'task' })
// Keyset pagination for the Relay connection: newest first, ties broken by id.
@Index('IDX_task_team_created_at_id', ['team', 'createdAt', 'id'])
// The reconciler scans unfinished tasks, oldest first; a partial index keeps that cheap however many
// finished rows pile up. It selects on finished_at, not status, so that claiming a task (QUEUED →
// RUNNING) and progress change no indexed column and can be heap-only updates (cheap-tasks migration).
@Index('IDX_task_unfinished', ['createdAt', 'id'], { where: `"finished_at" IS NULL` })
// One live task per deterministic identity and team (INSERT … ON CONFLICT DO NOTHING goes through it); a finished one can be run again with a new row.
@Index('UQ_task_team_dedup_key', ['team', 'dedupKey'], { unique: true, where: `"dedup_key" IS NOT NULL AND "finished_at" IS NULL` })
// An image's tasks (Image.tasks), newest first; and a task's children. Partial: most tasks have
// neither, and a NULL entry per row version was a write for nothing (TaskSparseIndexes1766000000500).
@Index('IDX_task_artifact_created_at_id', ['artifactId', 'createdAt', 'id'], { where: `"artifact_id" IS NOT NULL` })
@Index('IDX_task_parent_task_id', ['parentTaskId'], { where: `"parent_task_id" IS NOT NULL` })
// The tasks of one schedule (label bulkhead.io/schedule), partial expression index:
// migration ScheduleOwnerAndTaskIndex1765810000001, not derivable from columns.
@Index('IDX_task_team_schedule_label', { synchronize: false })
export class TaskEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The team (tenant) the row belongs to (see team.ts): the worker writes the task's results under it; `default` for rows older than teams. */
  @Column({ type: 'text', default: DEFAULT_TEAM })
  team!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: PluginKind;

  @Column({ type: 'varchar', length: 128 })
  type!: string;

  @Column({ type: 'jsonb' })
  input!: unknown;

  /** Id and version of the plugin that handles the task, as registered when it was submitted (null on rows older than these columns). */
  @Column({ name: 'plugin_id', type: 'text', nullable: true })
  pluginId!: string | null;

  @Column({ name: 'plugin_version', type: 'text', nullable: true })
  pluginVersion!: string | null;

  /** Free-form string labels given at submission (`{"pipeline": "nightly"}`), for filtering and grouping. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  labels!: Record<string, string>;

  /** The task that submitted this one (a run and its steps). Cleared if the parent row is deleted. */
  @Column({ name: 'parent_task_id', type: 'uuid', nullable: true })
  parentTaskId!: string | null;

  @ManyToOne(() => TaskEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'parent_task_id', foreignKeyConstraintName: 'FK_task_parent_task' })
  parentTask?: TaskEntity;

  /** The artifact (image) the task produced: the last one it emitted. Cleared if the artifact is deleted. */
  @Column({ name: 'artifact_id', type: 'uuid', nullable: true })
  artifactId!: string | null;

  @ManyToOne(() => ArtifactEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'artifact_id', foreignKeyConstraintName: 'FK_task_artifact' })
  artifact?: ArtifactEntity;

  @Column({ type: 'enum', enum: TaskStatus, enumName: 'task_status', default: TaskStatus.QUEUED })
  status!: TaskStatus;

  /** Fraction done in [0, 1]. */
  @Column({ type: 'real', default: 0 })
  progress!: number;

  @Column({ name: 'progress_message', type: 'text', nullable: true })
  progressMessage!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** How many times a worker started this task (retries, redeliveries after a crash). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'jsonb', nullable: true })
  result!: unknown;

  /** Deterministic identity of the work (kind, type, plugin version, input): the same request twice is one task. */
  @Column({ name: 'dedup_key', type: 'text', nullable: true })
  dedupKey!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', precision: 3, nullable: true })
  finishedAt!: Date | null;
}
