import type { PluginKind, Severity } from '@bulkhead/plugin-sdk';
import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * A finding of any plugin kind (vulnerability, failed control, runtime alert). Identity:
 * (target, fingerprint); re-running the same work updates `lastSeenAt` instead of adding a row.
 */
@Entity({ name: 'finding' })
@Unique('UQ_finding_target_fingerprint', ['target', 'fingerprint'])
@Index('IDX_finding_kind_severity', ['kind', 'severity'])
@Index('IDX_finding_task_id', ['taskId'])
@Index('IDX_finding_last_seen_at_id', ['lastSeenAt', 'id'])
// Partial expression indexes on runtime alerts, owned by the runtime plugin (its migration
// 0001-alert-indexes; the former core migration RuntimeAlertIndexes1764460800000 created them
// first on every installation and stays in the list). TypeORM cannot describe them, so it is
// told to leave them alone.
@Index('IDX_finding_runtime_time', { synchronize: false })
@Index('IDX_finding_runtime_rule', { synchronize: false })
@Index('IDX_finding_runtime_priority', { synchronize: false })
@Index('IDX_finding_runtime_namespace', { synchronize: false })
@Index('IDX_finding_runtime_image_repository', { synchronize: false })
@Index('IDX_finding_runtime_image', { synchronize: false })
export class FindingEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: PluginKind;

  @Column({ type: 'varchar', length: 16 })
  severity!: Severity;

  @Column({ name: 'rule_id', type: 'text' })
  ruleId!: string;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text' })
  target!: string;

  @Column({ type: 'text', nullable: true })
  location!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  data!: Record<string, unknown>;

  @Column({ type: 'text' })
  fingerprint!: string;

  /** The task that last reported it (not a foreign key: findings outlive pruned tasks). */
  @Column({ name: 'task_id', type: 'uuid', nullable: true })
  taskId!: string | null;

  @Column({ name: 'first_seen_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  firstSeenAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  lastSeenAt!: Date;
}
