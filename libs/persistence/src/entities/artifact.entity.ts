import type { LayerInfo } from '@bulkhead/plugin-sdk';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { DEFAULT_TEAM } from '../team';
import { bigintNumberTransformer } from './bigint-number.transformer';

/**
 * An image or other scanned artifact. One image is one row whatever form it was read from (OCI
 * layout, docker-archive, a registry): `digest` is its image id, the digest of its config blob,
 * and every manifest digest it was seen with is listed in `manifestDigests` (an OCI layout and
 * a docker-archive of one image have different manifests, or none, but one config). A root file
 * system has no config: its digest is the scanner's content digest.
 */
@Entity({ name: 'artifact' })
// One row per image and team: two teams scanning one image get two rows.
@Unique('UQ_artifact_team_digest', ['team', 'digest'])
// A team's images, most recently updated first.
@Index('IDX_artifact_team_updated_at_id', ['team', 'updatedAt', 'id'])
// GIN index on manifest_digests (migration ImageIdentity1765152000000), for lookups by a
// manifest digest (Kubernetes reports those for running pods). TypeORM cannot describe a GIN
// index, so it is told to leave it alone.
@Index('IDX_artifact_manifest_digests', { synchronize: false })
export class ArtifactEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The team (tenant) the row belongs to (see team.ts); `default` for rows older than teams. */
  @Column({ type: 'text', default: DEFAULT_TEAM })
  team!: string;

  /** Image id: the config digest (`sha256:…`); for a root file system, its content digest. */
  @Column({ type: 'text' })
  digest!: string;

  /** Every manifest digest the image is known by, merged across scans, sorted. */
  @Column({ name: 'manifest_digests', type: 'text', array: true, default: () => "'{}'" })
  manifestDigests!: string[];

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
