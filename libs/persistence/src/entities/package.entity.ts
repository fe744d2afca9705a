import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { DEFAULT_TEAM } from '../team';
import { ArtifactEntity } from './artifact.entity';

/**
 * A package found inside an artifact. Identity: (artifact, purl, layer, path) — the same package
 * version introduced by one layer and read from one file is one row however often the artifact
 * is scanned. `layer` and `path` are '' when the analyzer does not know them, so the key never
 * contains NULL (NULLs are never equal in a unique constraint).
 */
@Entity({ name: 'package' })
@Unique('UQ_package_artifact_purl_layer_path', ['artifactId', 'purl', 'layer', 'path'])
// Listing an artifact's packages by name (keyset pagination).
@Index('IDX_package_artifact_name_id', ['artifactId', 'name', 'id'])
// "Which images contain package X?"
@Index('IDX_package_type_name', ['type', 'name'])
// Inventory reads narrowed by names (PackageNameFilter): a GIN index on name_keys, and the rows
// without keys (partial: empty when every writer keys its rows). Migration
// RematchPartialReportsNameKeys; TypeORM cannot describe them, so it is told to leave them alone.
@Index('IDX_package_name_keys', { synchronize: false })
@Index('IDX_package_artifact_unkeyed', { synchronize: false })
export class PackageEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The team (tenant) the row belongs to (always its artifact's: see team.ts); `default` for rows older than teams. */
  @Column({ type: 'text', default: DEFAULT_TEAM })
  team!: string;

  @Column({ name: 'artifact_id', type: 'uuid' })
  artifactId!: string;

  @ManyToOne(() => ArtifactEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'artifact_id', foreignKeyConstraintName: 'FK_package_artifact' })
  artifact?: ArtifactEntity;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  version!: string;

  @Column({ name: 'source_name', type: 'text', nullable: true })
  sourceName!: string | null;

  @Column({ name: 'source_version', type: 'text', nullable: true })
  sourceVersion!: string | null;

  @Column({ type: 'text' })
  purl!: string;

  @Column({ type: 'text', default: '' })
  layer!: string;

  /** The file the package was read from, root-relative (SDK PackageResult.path); '' when not known. */
  @Column({ type: 'text', default: '' })
  path!: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata!: Record<string, unknown>;

  /** Name and source name folded for PackageNameFilter (inventory-reader.ts: packageNameKeys); null passes every filter. */
  @Column({ name: 'name_keys', type: 'text', array: true, nullable: true, select: false })
  nameKeys!: string[] | null;
}
