import type { PluginDatabase, PluginMigration } from '@bulkhead/plugin-sdk/api';
import type { SbomMediaType } from './media-types';
import type { HarborCapability } from './scan-request';

/*
 * `harbor_scan`: one row per scan request Harbor sent, in the plugin's own table (team column in
 * every key and query, as plugin tables are). It maps the id Harbor polls with to the scanner
 * task, keeps the artifact as Harbor named it (reports echo it), and holds the sealed registry
 * credential until the scan ends (credential-key.ts).
 */

type Db = Pick<PluginDatabase, 'query'>;

export const harborScanTable: PluginMigration = {
  id: '0030-harbor-scan-20261207',
  async up(db) {
    await db.query(`
      CREATE TABLE IF NOT EXISTS "harbor_scan" (
        "team" text NOT NULL,
        "id" uuid NOT NULL,
        "task_id" text,
        "registry_url" text NOT NULL,
        "repository" text NOT NULL,
        "digest" text NOT NULL,
        "tag" text,
        "mime_type" text NOT NULL,
        "capabilities" text[] NOT NULL,
        "sbom_media_types" text[] NOT NULL DEFAULT '{}',
        "credential" bytea,
        "credential_expires_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_harbor_scan" PRIMARY KEY ("team", "id")
      )`);
    // The sweep of expired credentials and old rows reads these two without a full scan.
    await db.query(`CREATE INDEX IF NOT EXISTS "IDX_harbor_scan_credential_expiry" ON "harbor_scan" ("credential_expires_at") WHERE "credential" IS NOT NULL`);
    await db.query(`CREATE INDEX IF NOT EXISTS "IDX_harbor_scan_created" ON "harbor_scan" ("created_at")`);
  },
  async down(db) {
    await db.query(`DROP TABLE IF EXISTS "harbor_scan"`);
  },
};

export interface HarborScanRow {
  team: string;
  id: string;
  taskId: string | null;
  registryUrl: string;
  repository: string;
  digest: string;
  tag: string | null;
  mimeType: string;
  capabilities: HarborCapability[];
  sbomMediaTypes: SbomMediaType[];
  createdAt: Date;
}

interface RawRow {
  team: string;
  id: string;
  task_id: string | null;
  registry_url: string;
  repository: string;
  digest: string;
  tag: string | null;
  mime_type: string;
  capabilities: string[];
  sbom_media_types: string[];
  created_at: Date | string;
}

const COLUMNS = 'team, id, task_id, registry_url, repository, digest, tag, mime_type, capabilities, sbom_media_types, created_at';

function rowOf(raw: RawRow): HarborScanRow {
  return {
    team: raw.team,
    id: raw.id,
    taskId: raw.task_id,
    registryUrl: raw.registry_url,
    repository: raw.repository,
    digest: raw.digest,
    tag: raw.tag,
    mimeType: raw.mime_type,
    capabilities: raw.capabilities as HarborCapability[],
    sbomMediaTypes: raw.sbom_media_types as SbomMediaType[],
    createdAt: new Date(raw.created_at),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isScanId(id: string): boolean {
  return UUID.test(id);
}

export async function insertScan(db: Db, row: Omit<HarborScanRow, 'taskId' | 'createdAt'>, credential: { sealed: Buffer; expiresAt: Date } | undefined): Promise<void> {
  await db.query(
    `INSERT INTO "harbor_scan" (team, id, registry_url, repository, digest, tag, mime_type, capabilities, sbom_media_types, credential, credential_expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [row.team, row.id, row.registryUrl, row.repository, row.digest, row.tag, row.mimeType, row.capabilities, row.sbomMediaTypes, credential?.sealed ?? null, credential?.expiresAt ?? null],
  );
}

export async function setScanTask(db: Db, team: string, id: string, taskId: string): Promise<void> {
  await db.query(`UPDATE "harbor_scan" SET task_id = $3 WHERE team = $1 AND id = $2`, [team, id, taskId]);
}

export async function deleteScan(db: Db, team: string, id: string): Promise<void> {
  await db.query(`DELETE FROM "harbor_scan" WHERE team = $1 AND id = $2`, [team, id]);
}

export async function getScan(db: Db, team: string, id: string): Promise<HarborScanRow | undefined> {
  if (!isScanId(id)) return undefined;
  const rows = await db.query<RawRow>(`SELECT ${COLUMNS} FROM "harbor_scan" WHERE team = $1 AND id = $2`, [team, id]);
  return rows[0] ? rowOf(rows[0]) : undefined;
}

/** The sealed credential of a scan and what it may be used for, while it has not expired. */
export async function readCredential(db: Db, team: string, id: string): Promise<{ sealed: Buffer; row: HarborScanRow } | undefined> {
  if (!isScanId(id)) return undefined;
  const rows = await db.query<RawRow & { credential: Buffer }>(
    `SELECT ${COLUMNS}, credential FROM "harbor_scan" WHERE team = $1 AND id = $2 AND credential IS NOT NULL AND credential_expires_at > now()`,
    [team, id],
  );
  const raw = rows[0];
  return raw ? { sealed: Buffer.from(raw.credential), row: rowOf(raw) } : undefined;
}

/** Forgets a scan's credential (the scan ended, or it was never needed again). */
export async function dropCredential(db: Db, team: string, id: string): Promise<void> {
  await db.query(`UPDATE "harbor_scan" SET credential = NULL, credential_expires_at = NULL WHERE team = $1 AND id = $2 AND credential IS NOT NULL`, [team, id]);
}

/**
 * Housekeeping, every team at once (the plugin's own table): credentials past their time are
 * erased, and rows older than `keepDays` deleted (Harbor keeps the reports it fetched).
 */
export async function sweepScans(db: Db, keepDays: number): Promise<void> {
  await db.query(`UPDATE "harbor_scan" SET credential = NULL, credential_expires_at = NULL WHERE credential IS NOT NULL AND credential_expires_at <= now()`);
  await db.query(`DELETE FROM "harbor_scan" WHERE created_at < now() - make_interval(days => $1)`, [keepDays]);
}
