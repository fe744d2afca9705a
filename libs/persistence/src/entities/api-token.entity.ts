import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '@bulkhead/plugin-sdk/api';

/**
 * An API token: who may call the API, for which team, with which role. The secret itself is
 * never stored, only its SHA-256 (see api-token-secret.ts for why that suffices).
 */
@Entity({ name: 'api_token' })
@Index('IDX_api_token_team_created_at', ['team', 'createdAt'])
@Check('CHK_api_token_role', `"role" IN ('viewer', 'operator', 'admin')`)
export class ApiTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Human name, for lists and audit logs (e.g. `ci-pipeline`). */
  @Column({ type: 'text' })
  name!: string;

  /** The team (tenant) whose data the token sees and writes. */
  @Column({ type: 'text' })
  team!: string;

  @Column({ type: 'text' })
  role!: Role;

  /** Hex SHA-256 of the secret; unique, looked up on every request. */
  @Index('UQ_api_token_secret_hash', { unique: true })
  @Column({ name: 'secret_hash', type: 'char', length: 64 })
  secretHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  /** Who created it: a token id, or `cli` / `serve` for the command line and the first admin token. */
  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;

  /** Last authenticated use, recorded at most about once a minute. */
  @Column({ name: 'last_used_at', type: 'timestamptz', precision: 3, nullable: true })
  lastUsedAt!: Date | null;
}
