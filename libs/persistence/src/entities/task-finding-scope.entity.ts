import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TaskEntity } from './task.entity';

/**
 * A (producer, scope) a task reported on completely (FindingReport), even with no finding in it:
 * when the task succeeds, the OPEN findings of the pair that it did not report are RESOLVED
 * (finding-lifecycle.ts). Within the task's team.
 */
@Entity({ name: 'task_finding_scope' })
export class TaskFindingScopeEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid', primaryKeyConstraintName: 'PK_task_finding_scope' })
  taskId!: string;

  @ManyToOne(() => TaskEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'task_id', foreignKeyConstraintName: 'FK_task_finding_scope_task' })
  task?: TaskEntity;

  @Column({ type: 'text' })
  team!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_task_finding_scope' })
  producer!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_task_finding_scope' })
  scope!: string;

  /** The fingerprints of the findings the task reported in the pair (its complete report). */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  fingerprints!: string[];

  /** The locations the report was complete over (FindingReport.locations); null: the whole pair. */
  @Column({ type: 'text', array: true, nullable: true })
  locations!: string[] | null;
}
