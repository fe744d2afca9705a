import type { LayerInfo } from '@bulkhead/plugin-sdk';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { bigintNumberTransformer } from './bigint-number.transformer';

/** An image or other scanned artifact, identified by its digest. */
@Entity({ name: 'artifact' })
@Unique('UQ_artifact_digest', ['digest'])
export class ArtifactEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  digest!: string;

  /** Every name it was scanned under (`registry/app:1.2`, `oci:/path`), merged across scans. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  references!: string[];

  @Column({ name: 'os_family', type: 'text', nullable: true })
  osFamily!: string | null;

  @Column({ name: 'os_version', type: 'text', nullable: true })
  osVersion!: string | null;

  @Column({ name: 'os_name', type: 'text', nullable: true })
  osName!: string | null;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumberTransformer })
  size!: number;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  layers!: LayerInfo[];

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
