import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** How an audited operation ended. */
export type AuditOutcome = 'ok' | 'error' | 'unauthenticated' | 'forbidden';

/** One audited operation: every mutation and every token operation (who, what, when, from where, outcome). */
@Entity({ name: 'audit_log' })
@Index('IDX_audit_log_team_at_id', ['team', 'at', 'id'])
export class AuditLogEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @CreateDateColumn({ name: 'at', type: 'timestamptz', precision: 3 })
  at!: Date;

  /** The token that made the request (null when none was valid, or for the command line). */
  @Column({ name: 'token_id', type: 'uuid', nullable: true })
  tokenId!: string | null;

  @Column({ name: 'token_name', type: 'text', nullable: true })
  tokenName!: string | null;

  /** The caller's team (null for an unauthenticated request). */
  @Column({ type: 'text', nullable: true })
  team!: string | null;

  /** E.g. `mutation cancelTask`, `token.create`. */
  @Column({ type: 'text' })
  operation!: string;

  /** Variables / arguments with secrets redacted. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: Record<string, unknown>;

  @Column({ type: 'text' })
  outcome!: AuditOutcome;

  /** Error codes or message when the outcome is not `ok`. */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'remote_address', type: 'text', nullable: true })
  remoteAddress!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;
}
