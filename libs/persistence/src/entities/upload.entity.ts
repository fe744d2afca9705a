import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumberTransformer } from './bigint-number.transformer';

/**
 * A file a client uploaded for its tasks to read (`upload:<id>` in a task input). The file lives
 * in the team's folder under BULKHEAD_UPLOAD_DIR, named by the id; the row records who sent it,
 * its size and digest, and when it expires (the sweeper removes file and row then).
 */
@Entity({ name: 'upload' })
@Index('IDX_upload_team_created_at', ['team', 'createdAt'])
@Index('IDX_upload_expires_at', ['expiresAt'])
export class UploadEntity {
  /** Server-generated UUID; also the file name. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  team!: string;

  /** The API token that uploaded it. */
  @Column({ name: 'created_by', type: 'uuid' })
  createdBy!: string;

  /** A name the client gave (`?name=`), for display only: never part of a path. */
  @Column({ type: 'text', nullable: true })
  name!: string | null;

  @Column({ type: 'bigint', transformer: bigintNumberTransformer })
  size!: number;

  /** Hex SHA-256 of the content, computed while it was received. */
  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;
}
