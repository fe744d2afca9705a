import {
  findingFingerprint,
  MAX_REPORT_LOCATIONS,
  silentLogger,
  type ArtifactResult,
  type FindingReport,
  type FindingResult,
  type PackageResult,
  type ScopedFindings,
  type ResultEmitter,
  type TaskLogger,
} from '@bulkhead/plugin-sdk';
import type { DataSource, EntityManager } from 'typeorm';
import { ArtifactEntity, PackageEntity, TaskEntity } from './entities';
import { storedUnchanged } from './finding-changes';
import { recordCoveredScopes, resolveUnreportedNow, type CoveredScope } from './finding-lifecycle';
import { findingRowToStored } from './finding-upsert';
import { upsertReportedFindings, type FindingGroup, type UpsertedFinding } from './finding-upsert';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import { packageNameKeys } from './inventory-reader';
import { tableName } from './table-name';
import { DEFAULT_TEAM } from './team';

/** Packages per upsert statement: one jsonb parameter each, so this bounds statement size. */
const BATCH_ROWS = 500;

export interface ResultWriterOptions {
  /** The team everything is written under: the task row's team (the worker's writer). Default `default` (the inline CLI). */
  team?: string;
  /**
   * Called after each findings write with the findings it inserted (none already stored). A
   * failure here fails the emit call; callers that only announce should catch their own errors.
   */
  onNewFindings?: (findings: readonly UpsertedFinding[]) => Promise<void>;
  /** Like onNewFindings, with the RESOLVED findings this write reported again (OPEN again: reopened). */
  onReopenedFindings?: (findings: readonly UpsertedFinding[]) => Promise<void>;
  /** The findings an `immediate` report RESOLVED when it was written (FindingReport.settle). */
  onResolvedFindings?: (findings: readonly StoredFinding[]) => Promise<void>;
}

/** Longest producer or scope of a FindingReport (they are keys, not documents). */
export const MAX_REPORT_KEY_LENGTH = 1024;
/** Longest location FindingReport.locations may name. */
export const MAX_LOCATION_LENGTH = 8192;

/**
 * The worker's ResultEmitter: persists what a task emits so that running the same work again
 * (a retry, a duplicate delivery, a re-scan) converges on the same rows:
 * - artifacts are upserted by (team, digest) (the image id within the team), merging references and manifest digests;
 *   the reporting task is linked to the artifact (its `artifact_id`: Task.image);
 * - an artifact's package inventory is upserted on (artifact, purl, layer, path) in one transaction:
 *   a package still present keeps its row and id, a new one is inserted, one no longer present
 *   is deleted (ids are stable across rescans, so other rows can refer to them);
 * - findings are upserted on (team, target, fingerprint) (upsertFindings, policy `refresh`):
 *   lastSeenAt moves, firstSeenAt stays, and only findings new to the database reach
 *   `onNewFindings` (the worker announces every new finding with it, and reopened ones);
 * - a findings call with a FindingReport stores them under the report's producer and scope and
 *   records the pair as covered by the task (finding-lifecycle.ts: resolved at its success).
 */
export class ResultWriter implements ResultEmitter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly taskId: string | null,
    private readonly logger: TaskLogger = silentLogger,
    private readonly options: ResultWriterOptions = {},
  ) {
    this.team = options.team ?? DEFAULT_TEAM;
  }

  private readonly team: string;

  async artifact(artifact: ArtifactResult): Promise<void> {
    await this.upsertArtifact(this.dataSource.manager, artifact);
  }

  async packages(artifactDigest: string, packages: readonly PackageResult[]): Promise<void> {
    const unique = dedupePackages(packages);
    if (unique.length < packages.length) {
      this.logger.warn({ artifactDigest, emitted: packages.length, kept: unique.length }, 'dropped packages repeating (purl, layer, path)');
    }
    const packageTable = tableName(this.dataSource, PackageEntity);
    await this.dataSource.transaction(async (manager) => {
      const artifactTable = tableName(this.dataSource, ArtifactEntity);
      // Lock the artifact row: two tasks writing the same inventory run one after the other.
      const rows: { id: string }[] = await manager.query(`SELECT id FROM ${artifactTable} WHERE team = $2 AND digest = $1 FOR UPDATE`, [artifactDigest, this.team]);
      const artifactId = rows[0]?.id;
      if (!artifactId) throw new Error(`packages emitted for unknown artifact ${artifactDigest}: emit the artifact first`);
      // Only the key (purl, layer, path) of every package, to delete the rows no longer present.
      const keys = JSON.stringify(unique.map((p) => ({ purl: p.purl, layer: p.layer ?? '', path: p.path ?? '' })));
      await manager.query(
        `DELETE FROM ${packageTable} AS p
          WHERE p.artifact_id = $1
            AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset($2::jsonb) AS k(purl text, layer text, path text) WHERE k.purl = p.purl AND k.layer = p.layer AND k.path = p.path)`,
        [artifactId, keys],
      );
      for (let i = 0; i < unique.length; i += BATCH_ROWS) {
        await upsertPackages(manager, packageTable, this.team, artifactId, unique.slice(i, i + BATCH_ROWS));
      }
    });
  }

  async findings(findings: readonly FindingResult[], report?: FindingReport): Promise<void> {
    await this.write([{ findings, ...(report ? { report } : {}) }]);
  }

  async reports(reports: readonly ScopedFindings[]): Promise<void> {
    await this.write(reports);
  }

  private async write(groups: readonly { findings: readonly FindingResult[]; report?: FindingReport }[]): Promise<void> {
    const reported: FindingGroup[] = [];
    const plain: FindingGroup[] = [];
    const scopes: CoveredScope[] = [];
    const immediate: { groups: FindingGroup[]; scopes: CoveredScope[] } = { groups: [], scopes: [] };
    for (const { findings, report } of groups) {
      if (!report) {
        plain.push({ findings });
        continue;
      }
      checkReportKey('producer', report.producer);
      checkReportKey('scope', report.scope);
      if (report.settle !== undefined && report.settle !== 'task-success' && report.settle !== 'immediate') {
        throw new Error(`FindingReport.settle must be "task-success" or "immediate", not ${JSON.stringify(report.settle)}`);
      }
      const locations = report.locations === undefined ? undefined : checkReportLocations(report.locations, findings);
      const scope = { producer: report.producer, scope: report.scope, fingerprints: findings.map(findingFingerprint), ...(locations ? { locations } : {}) };
      const target = report.settle === 'immediate' ? immediate : { groups: reported, scopes };
      target.groups.push({ findings, report: { producer: report.producer, scope: report.scope } });
      target.scopes.push(scope);
    }
    if (immediate.groups.length > 0) await this.settleNow(immediate.groups, immediate.scopes);
    if (reported.length === 0 && plain.length === 0) return;
    // Recorded first: a report with no finding still covers its scope (and resolves it all).
    if (this.taskId) await recordCoveredScopes(this.dataSource.manager, this.taskId, this.team, scopes);
    const options = { onConflict: 'refresh' as const, taskId: this.taskId, team: this.team };
    // A complete report writes only what changed (finding-lifecycle.ts): unchanged findings are left out.
    const unchanged = reported.length > 0 ? await storedUnchanged(this.dataSource, this.team, reported as { findings: readonly FindingResult[]; report: FindingReport }[]) : new Set<FindingResult>();
    const changed = reported.map((g) => ({ ...g, findings: g.findings.filter((f) => !unchanged.has(f)) })).filter((g) => g.findings.length > 0);
    const stored = [
      ...(changed.length > 0 ? await upsertReportedFindings(this.dataSource, changed, { ...options, skipUnchanged: true }) : []),
      ...(plain.length > 0 ? await upsertReportedFindings(this.dataSource, plain, options) : []),
    ];
    await this.announce(stored);
  }

  /**
   * Complete reports settled when written (FindingReport.settle `immediate`): their findings and
   * the resolution of what they no longer name in one transaction, so a reader never sees the
   * object's old and new findings both OPEN, and a crash leaves neither half.
   */
  private async settleNow(groups: readonly FindingGroup[], scopes: readonly CoveredScope[]): Promise<void> {
    const { stored, resolved } = await this.dataSource.transaction(async (manager) => {
      const options = { onConflict: 'refresh' as const, taskId: this.taskId, team: this.team, skipUnchanged: true, manager };
      const upserted = await upsertReportedFindings(this.dataSource, groups, options);
      return { stored: upserted, resolved: (await resolveUnreportedNow(manager, this.team, scopes)).map(findingRowToStored) };
    });
    await this.announce(stored);
    if (resolved.length > 0 && this.options.onResolvedFindings) await this.options.onResolvedFindings(resolved);
  }

  private async announce(stored: readonly UpsertedFinding[]): Promise<void> {
    const fresh = stored.filter((f) => f.inserted);
    if (fresh.length > 0 && this.options.onNewFindings) await this.options.onNewFindings(fresh);
    const reopened = stored.filter((f) => f.reopenedNow);
    if (reopened.length > 0 && this.options.onReopenedFindings) await this.options.onReopenedFindings(reopened);
  }

  private async upsertArtifact(manager: EntityManager, artifact: ArtifactResult): Promise<void> {
    const table = tableName(this.dataSource, ArtifactEntity);
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO ${table} AS a (team, digest, manifest_digests, "references", os_family, os_version, os_name, size, layers, metadata)
       VALUES ($10, $1, $9::text[], $2::text[], $3, $4, $5, $6, $7::jsonb, $8::jsonb)
       ON CONFLICT (team, digest) DO UPDATE SET
         manifest_digests = ARRAY(SELECT DISTINCT d FROM unnest(a.manifest_digests || EXCLUDED.manifest_digests) AS d ORDER BY d),
         "references" = ARRAY(SELECT DISTINCT r FROM unnest(a."references" || EXCLUDED."references") AS r ORDER BY r),
         os_family = COALESCE(EXCLUDED.os_family, a.os_family),
         os_version = COALESCE(EXCLUDED.os_version, a.os_version),
         os_name = COALESCE(EXCLUDED.os_name, a.os_name),
         size = EXCLUDED.size,
         layers = EXCLUDED.layers,
         metadata = a.metadata || EXCLUDED.metadata,
         updated_at = now()
       RETURNING a.id`,
      [
        artifact.digest,
        [...new Set(artifact.references)].sort(),
        artifact.os?.family ?? null,
        artifact.os?.version ?? null,
        artifact.os?.name ?? null,
        artifact.size,
        JSON.stringify(artifact.layers),
        JSON.stringify(artifact.metadata ?? {}),
        [...new Set(artifact.manifestDigests ?? [])].sort(),
        this.team,
      ],
    );
    const artifactId = rows[0]?.id;
    if (this.taskId && artifactId) {
      await manager.query(`UPDATE ${tableName(this.dataSource, TaskEntity)} SET artifact_id = $2 WHERE id = $1 AND team = $3`, [this.taskId, artifactId, this.team]);
    }
  }
}

/**
 * Inserts packages of one artifact, or updates the stored row of the same (purl, layer, path) in place
 * (keeping its id). A row whose columns are all unchanged is not rewritten (no dead tuple per
 * package on every rescan of an unchanged image).
 */
async function upsertPackages(manager: EntityManager, table: string, team: string, artifactId: string, packages: readonly PackageResult[]): Promise<void> {
  const rows = packages.map((p) => ({
    type: p.type,
    name: p.name,
    version: p.version,
    source_name: p.sourceName ?? null,
    source_version: p.sourceVersion ?? null,
    purl: p.purl,
    layer: p.layer ?? '',
    path: p.path ?? '',
    metadata: p.metadata ?? {},
    name_keys: packageNameKeys(p.name, p.sourceName),
  }));
  await manager.query(
    `INSERT INTO ${table} AS p (team, artifact_id, type, name, version, source_name, source_version, purl, layer, path, metadata, name_keys)
     SELECT $3, $1::uuid, r.type, r.name, r.version, r.source_name, r.source_version, r.purl, r.layer, r.path, r.metadata, ARRAY(SELECT jsonb_array_elements_text(r.name_keys))
       FROM jsonb_to_recordset($2::jsonb) AS r(type text, name text, version text, source_name text, source_version text, purl text, layer text, path text, metadata jsonb, name_keys jsonb)
     ON CONFLICT (artifact_id, purl, layer, path) DO UPDATE SET
       type = EXCLUDED.type, name = EXCLUDED.name, version = EXCLUDED.version,
       source_name = EXCLUDED.source_name, source_version = EXCLUDED.source_version, metadata = EXCLUDED.metadata, name_keys = EXCLUDED.name_keys
     WHERE (p.type, p.name, p.version, p.source_name, p.source_version, p.metadata, p.name_keys)
           IS DISTINCT FROM (EXCLUDED.type, EXCLUDED.name, EXCLUDED.version, EXCLUDED.source_name, EXCLUDED.source_version, EXCLUDED.metadata, EXCLUDED.name_keys)`,
    [artifactId, JSON.stringify(rows), team],
  );
}

/** First occurrence wins for each (purl, layer, path): the inventory's unique key. */
function dedupePackages(packages: readonly PackageResult[]): PackageResult[] {
  const seen = new Map<string, PackageResult>();
  for (const p of packages) {
    const key = `${p.purl}\u0000${p.layer ?? ''}\u0000${p.path ?? ''}`;
    if (!seen.has(key)) seen.set(key, p);
  }
  return [...seen.values()];
}

/**
 * FindingReport.locations: a list of at most MAX_REPORT_LOCATIONS strings of at most
 * MAX_LOCATION_LENGTH characters, holding the location of every finding of the report (a report
 * complete over some locations cannot name a finding elsewhere: it would never be resolved there).
 */
function checkReportLocations(locations: unknown, findings: readonly FindingResult[]): string[] {
  if (!Array.isArray(locations)) throw new Error('FindingReport.locations must be a list of strings');
  if (locations.length > MAX_REPORT_LOCATIONS) throw new Error(`FindingReport.locations holds ${locations.length} locations; at most ${MAX_REPORT_LOCATIONS}`);
  for (const location of locations) {
    if (typeof location !== 'string' || location.length > MAX_LOCATION_LENGTH || location.includes('\u0000')) {
      throw new Error(`FindingReport.locations must hold strings of at most ${MAX_LOCATION_LENGTH} characters without NUL`);
    }
  }
  const set = new Set(locations as string[]);
  const outside = findings.find((f) => typeof f.location !== 'string' || !set.has(f.location));
  if (outside) throw new Error(`FindingReport.locations does not hold the location of finding ${outside.ruleId} (${JSON.stringify(outside.location ?? null)})`);
  return [...set];
}

function checkReportKey(field: 'producer' | 'scope', value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_REPORT_KEY_LENGTH || value.includes('\u0000')) {
    throw new Error(`FindingReport.${field} must be a non-empty string of at most ${MAX_REPORT_KEY_LENGTH} characters without NUL`);
  }
}
