import {
  silentLogger,
  type ArtifactResult,
  type FindingResult,
  type PackageResult,
  type ResultEmitter,
  type TaskLogger,
} from '@bulkhead/plugin-sdk';
import type { DataSource, EntityManager, QueryDeepPartialEntity } from 'typeorm';
import { ArtifactEntity, PackageEntity } from './entities';
import { upsertFindings, type UpsertedFinding } from './finding-upsert';
import { tableName } from './table-name';

/** Rows per INSERT: well below Postgres' 65535 bind parameters for the widest row. */
const BATCH_ROWS = 500;

export interface ResultWriterOptions {
  /**
   * Called after each findings write with the findings it inserted (none already stored). A
   * failure here fails the emit call; callers that only announce should catch their own errors.
   */
  onNewFindings?: (findings: readonly UpsertedFinding[]) => Promise<void>;
}

/**
 * The worker's ResultEmitter: persists what a task emits so that running the same work again
 * (a retry, a duplicate delivery, a re-scan) converges on the same rows:
 * - artifacts are upserted by digest, merging references;
 * - an artifact's package inventory is replaced in one transaction;
 * - findings are upserted on (target, fingerprint) (upsertFindings, policy `refresh`):
 *   lastSeenAt moves, firstSeenAt stays, and only findings new to the database reach
 *   `onNewFindings` (the worker announces every new finding with it).
 */
export class ResultWriter implements ResultEmitter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly taskId: string | null,
    private readonly logger: TaskLogger = silentLogger,
    private readonly options: ResultWriterOptions = {},
  ) {}

  async artifact(artifact: ArtifactResult): Promise<void> {
    await this.upsertArtifact(this.dataSource.manager, artifact);
  }

  async packages(artifactDigest: string, packages: readonly PackageResult[]): Promise<void> {
    const unique = dedupePackages(packages);
    if (unique.length < packages.length) {
      this.logger.warn({ artifactDigest, emitted: packages.length, kept: unique.length }, 'dropped packages repeating (purl, layer)');
    }
    await this.dataSource.transaction(async (manager) => {
      const artifactTable = tableName(this.dataSource, ArtifactEntity);
      // Lock the artifact row: two tasks replacing the same inventory run one after the other.
      const rows: { id: string }[] = await manager.query(`SELECT id FROM ${artifactTable} WHERE digest = $1 FOR UPDATE`, [artifactDigest]);
      const artifactId = rows[0]?.id;
      if (!artifactId) throw new Error(`packages emitted for unknown artifact ${artifactDigest}: emit the artifact first`);
      await manager.delete(PackageEntity, { artifactId });
      for (let i = 0; i < unique.length; i += BATCH_ROWS) {
        await manager.insert(
          PackageEntity,
          unique.slice(i, i + BATCH_ROWS).map((p) => ({
            artifactId,
            type: p.type,
            name: p.name,
            version: p.version,
            sourceName: p.sourceName ?? null,
            sourceVersion: p.sourceVersion ?? null,
            purl: p.purl,
            layer: p.layer ?? '',
            metadata: p.metadata ?? {},
            // jsonb columns hold Record<string, unknown>, which TypeORM's deep-partial type cannot express.
          })) as QueryDeepPartialEntity<PackageEntity>[],
        );
      }
    });
  }

  async findings(findings: readonly FindingResult[]): Promise<void> {
    const stored = await upsertFindings(this.dataSource, findings, { onConflict: 'refresh', taskId: this.taskId });
    const fresh = stored.filter((f) => f.inserted);
    if (fresh.length > 0 && this.options.onNewFindings) await this.options.onNewFindings(fresh);
  }

  private async upsertArtifact(manager: EntityManager, artifact: ArtifactResult): Promise<void> {
    const table = tableName(this.dataSource, ArtifactEntity);
    await manager.query(
      `INSERT INTO ${table} AS a (digest, "references", os_family, os_version, os_name, size, layers, metadata)
       VALUES ($1, $2::text[], $3, $4, $5, $6, $7::jsonb, $8::jsonb)
       ON CONFLICT (digest) DO UPDATE SET
         "references" = ARRAY(SELECT DISTINCT r FROM unnest(a."references" || EXCLUDED."references") AS r ORDER BY r),
         os_family = COALESCE(EXCLUDED.os_family, a.os_family),
         os_version = COALESCE(EXCLUDED.os_version, a.os_version),
         os_name = COALESCE(EXCLUDED.os_name, a.os_name),
         size = EXCLUDED.size,
         layers = EXCLUDED.layers,
         metadata = a.metadata || EXCLUDED.metadata,
         updated_at = now()`,
      [
        artifact.digest,
        [...new Set(artifact.references)].sort(),
        artifact.os?.family ?? null,
        artifact.os?.version ?? null,
        artifact.os?.name ?? null,
        artifact.size,
        JSON.stringify(artifact.layers),
        JSON.stringify(artifact.metadata ?? {}),
      ],
    );
  }
}

/** First occurrence wins for each (purl, layer): the inventory's unique key. */
function dedupePackages(packages: readonly PackageResult[]): PackageResult[] {
  const seen = new Map<string, PackageResult>();
  for (const p of packages) {
    const key = `${p.purl}\u0000${p.layer ?? ''}`;
    if (!seen.has(key)) seen.set(key, p);
  }
  return [...seen.values()];
}
