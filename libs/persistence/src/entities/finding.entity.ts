import type { PluginKind, Severity } from '@bulkhead/plugin-sdk';
import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { DEFAULT_TEAM } from '../team';

/** Lifecycle of a finding (strings stored in Postgres: never rename a value). See finding-lifecycle.ts. */
export enum FindingStatus {
  OPEN = 'OPEN',
  RESOLVED = 'RESOLVED',
  SUPPRESSED = 'SUPPRESSED',
}

/**
 * A finding of any plugin kind (vulnerability, failed control, runtime alert). Identity:
 * (team, target, fingerprint); re-running the same work updates `lastSeenAt` instead of adding a row.
 * Lifecycle (status, resolvedAt, reopenedAt, producer, scope): see finding-lifecycle.ts.
 */
@Entity({ name: 'finding' })
@Unique('UQ_finding_team_target_fingerprint', ['team', 'target', 'fingerprint'])
@Index('IDX_finding_kind_severity', ['kind', 'severity'])
// A task's findings, newest first (FindingTaskPageIndex1766000000600); also every lookup by task id.
@Index('IDX_finding_task_last_seen_at_id', ['taskId', 'lastSeenAt', 'id'])
@Index('IDX_finding_team_last_seen_at_id', ['team', 'lastSeenAt', 'id'])
// The newest findings of one severity (findings(filter: { severities: [CRITICAL] })).
@Index('IDX_finding_team_severity_last_seen_at_id', ['team', 'severity', 'lastSeenAt', 'id'])
// The newest findings of one kind, of one target (an image's findings) and of one status, e.g.
// findings(filter: { target }) (migration FindingCounts1765900000001, which says what the status index costs).
@Index('IDX_finding_team_kind_last_seen_at_id', ['team', 'kind', 'lastSeenAt', 'id'])
@Index('IDX_finding_team_target_last_seen_at_id', ['team', 'target', 'lastSeenAt', 'id'])
@Index('IDX_finding_team_status_last_seen_at_id', ['team', 'status', 'lastSeenAt', 'id'])
// Resolving what a producer's run no longer reports: the findings of one (producer, scope).
@Index('IDX_finding_team_producer_scope', ['team', 'producer', 'scope'])
// The expiry sweeper's index (migration FindingSuppression1766000000000): only rows with an expiry.
@Index('IDX_finding_suppressed_until', ['suppressedUntil'], { where: '"suppressed_until" IS NOT NULL' })
@Check('CHK_finding_suppression_reason_length', `char_length("suppression_reason") <= 1000`)
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
@Index('IDX_finding_runtime_pod', { synchronize: false }) // plugin step 0002-alert-pod-index
// Partial indexes of the scanner's vulnerability queries, owned by the scanner plugin (its API
// migration 0010-vulnerability-query-indexes); TypeORM is told to leave them alone.
@Index('IDX_finding_vuln_team_target_severity', { synchronize: false })
@Index('IDX_finding_vuln_team_target_last_seen', { synchronize: false })
@Index('IDX_finding_vuln_team_rule_target', { synchronize: false })
export class FindingEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The team (tenant) the row belongs to (see team.ts); `default` for rows older than teams. */
  @Column({ type: 'text', default: DEFAULT_TEAM })
  team!: string;

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

  @Column({ type: 'enum', enum: FindingStatus, enumName: 'finding_status', default: FindingStatus.OPEN })
  status!: FindingStatus;

  /** When it last became RESOLVED; null while OPEN or SUPPRESSED. */
  @Column({ name: 'resolved_at', type: 'timestamptz', precision: 3, nullable: true })
  resolvedAt!: Date | null;

  /** When it last came back after being RESOLVED (it is then OPEN again); null if it never did. */
  @Column({ name: 'reopened_at', type: 'timestamptz', precision: 3, nullable: true })
  reopenedAt!: Date | null;

  /** `<task kind>/<task type>` of the task that last reported it; null when not reported by a task (ingested alerts). */
  @Column({ type: 'text', nullable: true })
  producer!: string | null;

  /** The input identity of that task (see findingProducerOf): the set of targets one run covers. */
  @Column({ type: 'text', nullable: true })
  scope!: string | null;

  /** Hash of the content and report (finding-changes.ts: findingContentHash); null when written without a report. */
  @Column({ name: 'content_hash', type: 'text', nullable: true, select: false })
  contentHash!: string | null;

  /*
   * The suppression a person made (finding-suppression.ts): set while SUPPRESSED, null otherwise.
   */
  /** Why it needs no action (free text, at most 1000 characters); null when suppressed without one. */
  @Column({ name: 'suppression_reason', type: 'text', nullable: true })
  suppressionReason!: string | null;

  /** The OpenVEX `not_affected` justification (VEX_JUSTIFICATIONS), if one was given. */
  @Column({ name: 'suppression_justification', type: 'text', nullable: true })
  suppressionJustification!: string | null;

  /** When the suppression lapses and the finding is OPEN again; null: until someone reopens it. */
  @Column({ name: 'suppressed_until', type: 'timestamptz', precision: 3, nullable: true })
  suppressedUntil!: Date | null;

  /** Name of the API token that suppressed it. */
  @Column({ name: 'suppressed_by', type: 'text', nullable: true })
  suppressedBy!: string | null;

  @Column({ name: 'suppressed_at', type: 'timestamptz', precision: 3, nullable: true })
  suppressedAt!: Date | null;
}
