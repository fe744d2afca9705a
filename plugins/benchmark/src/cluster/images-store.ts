import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';

/*
 * The images that run in a team's clusters, by the manifest digest the nodes report
 * (`containerStatuses[].imageID`), and what became of their one scan. A digest is scanned once
 * per team, whichever cluster, namespace or workload runs it, and whichever repository it was
 * first seen in (the bytes are the same): the row is claimed by an INSERT … ON CONFLICT DO
 * NOTHING, so two planners (two clusters, a retried task) never queue the same digest twice.
 *
 * Kept apart from the inventory tables (the cluster watcher's) because the two change at
 * different rates: pods come and go every minute, a digest's scan stays valid until advisories
 * change, and re-matching (the scanner's, on stored packages) then renews the findings without
 * pulling again. `image_id` (the config digest the scanner stores the image and its findings
 * under) is what links a running workload to its vulnerabilities.
 */

export const CLUSTER_IMAGE_MIGRATION = {
  id: '0100-cluster-image',
  up: async (db: Pick<PluginDatabase, 'query'>): Promise<void> => {
    await db.query(
      `CREATE TABLE cluster_image (
         team text NOT NULL,
         manifest_digest text NOT NULL,
         ref text NOT NULL,
         flow_task_id uuid,
         image_id text,
         scan_status text NOT NULL DEFAULT 'QUEUED',
         scan_error text,
         verify_status text,
         verify_error text,
         requested_at timestamptz(3) NOT NULL DEFAULT now(),
         scanned_at timestamptz(3),
         PRIMARY KEY (team, manifest_digest)
       )`,
    );
    // Image.workloads and the vulnerability filters go from an image id to its running digests.
    await db.query('CREATE INDEX cluster_image_team_image ON cluster_image (team, image_id) WHERE image_id IS NOT NULL');
  },
};

/**
 * The workloads query and Workload.images go from a controller to the objects it owns directly
 * (ReplicaSet → Pods) by `owner_uid`; without this index every lookup scans the team's workloads.
 */
export const CLUSTER_WORKLOAD_OWNER_INDEX_MIGRATION = {
  id: '0102-cluster-workload-owner-index',
  up: async (db: Pick<PluginDatabase, 'query'>): Promise<void> => {
    await db.query('CREATE INDEX cluster_workload_owner ON cluster_workload (team, cluster, owner_uid) WHERE owner_uid IS NOT NULL');
  },
};

/** A running image to scan: its manifest digest and a pullable reference `host/repository@digest`. */
export interface RunningImage {
  manifestDigest: string;
  ref: string;
}

export type ImageTaskStatus = 'QUEUED' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** A row of cluster_image. */
export interface ClusterImageRecord {
  manifestDigest: string;
  ref: string;
  flowTaskId: string | null;
  imageId: string | null;
  scanStatus: ImageTaskStatus;
  scanError: string | null;
  verifyStatus: ImageTaskStatus | null;
  verifyError: string | null;
  scannedAt: Date | null;
}

interface ClusterImageRow {
  manifest_digest: string;
  ref: string;
  flow_task_id: string | null;
  image_id: string | null;
  scan_status: ImageTaskStatus;
  scan_error: string | null;
  verify_status: ImageTaskStatus | null;
  verify_error: string | null;
  scanned_at: Date | null;
}

const COLUMNS = 'manifest_digest, ref, flow_task_id, image_id, scan_status, scan_error, verify_status, verify_error, scanned_at';

function toRecord(row: ClusterImageRow): ClusterImageRecord {
  return {
    manifestDigest: row.manifest_digest,
    ref: row.ref,
    flowTaskId: row.flow_task_id,
    imageId: row.image_id,
    scanStatus: row.scan_status,
    scanError: row.scan_error,
    verifyStatus: row.verify_status,
    verifyError: row.verify_error,
    scannedAt: row.scanned_at,
  };
}

/** How long a failed scan (or a claim never queued) waits before a planner claims the digest again. */
export const RETRY_AFTER = '1 hour';

/** Longest error text kept per row (a registry's error page must not bloat the table). */
const MAX_ERROR_CHARS = 2000;

export class ClusterImageStore {
  constructor(
    private readonly db: Pick<PluginDatabase, 'query'>,
    private readonly team: string,
  ) {}

  /**
   * Claims the digests not yet known in this team, in one statement; returns those this call
   * claimed (the caller queues their scans). A digest already claimed, by any cluster, is left
   * alone, unless its scan failed (a registry that was down) or its claim was never queued (a
   * planner that died in between) more than RETRY_AFTER ago: those are claimed again.
   */
  async claim(images: readonly RunningImage[]): Promise<RunningImage[]> {
    const unique = [...new Map(images.map((image) => [image.manifestDigest, image])).values()];
    if (unique.length === 0) return [];
    const rows = await this.db.query<{ manifest_digest: string; ref: string }>(
      `INSERT INTO cluster_image (team, manifest_digest, ref)
       SELECT $1, d, r FROM unnest($2::text[], $3::text[]) AS t(d, r)
       ON CONFLICT (team, manifest_digest) DO UPDATE SET ref = EXCLUDED.ref, flow_task_id = NULL, scan_status = 'QUEUED', requested_at = now()
         WHERE (cluster_image.scan_status = 'FAILED' AND cluster_image.scanned_at < now() - $4::interval)
            OR (cluster_image.flow_task_id IS NULL AND cluster_image.scan_status = 'QUEUED' AND cluster_image.requested_at < now() - $4::interval)
       RETURNING manifest_digest, ref`,
      [this.team, unique.map((i) => i.manifestDigest), unique.map((i) => i.ref), RETRY_AFTER],
    );
    return rows.map((row) => ({ manifestDigest: row.manifest_digest, ref: row.ref }));
  }

  /** Gives back a claim whose scan could not be queued, so the next planner tries again. */
  async release(manifestDigest: string): Promise<void> {
    await this.db.query('DELETE FROM cluster_image WHERE team = $1 AND manifest_digest = $2 AND flow_task_id IS NULL', [this.team, manifestDigest]);
  }

  async setFlowTask(manifestDigest: string, taskId: string): Promise<void> {
    await this.db.query('UPDATE cluster_image SET flow_task_id = $3 WHERE team = $1 AND manifest_digest = $2', [this.team, manifestDigest, taskId]);
  }

  /** What the scan and the signature check of a digest came to (the flow's run). */
  async recordOutcome(
    manifestDigest: string,
    ref: string,
    outcome: { imageId: string | null; scanStatus: ImageTaskStatus; scanError: string | null; verifyStatus: ImageTaskStatus; verifyError: string | null },
  ): Promise<void> {
    // Upsert: a flow queued by hand (submitTask) for a digest no planner claimed is recorded too.
    await this.db.query(
      `INSERT INTO cluster_image (team, manifest_digest, ref, image_id, scan_status, scan_error, verify_status, verify_error, scanned_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (team, manifest_digest) DO UPDATE SET
         image_id = COALESCE(EXCLUDED.image_id, cluster_image.image_id), scan_status = EXCLUDED.scan_status, scan_error = EXCLUDED.scan_error,
         verify_status = EXCLUDED.verify_status, verify_error = EXCLUDED.verify_error, scanned_at = EXCLUDED.scanned_at`,
      [
        this.team,
        manifestDigest,
        ref,
        outcome.imageId,
        outcome.scanStatus,
        outcome.scanError?.slice(0, MAX_ERROR_CHARS) ?? null,
        outcome.verifyStatus,
        outcome.verifyError?.slice(0, MAX_ERROR_CHARS) ?? null,
      ],
    );
  }

  /** The records of these digests (unknown ones are left out). */
  async get(manifestDigests: readonly string[]): Promise<ClusterImageRecord[]> {
    if (manifestDigests.length === 0) return [];
    const rows = await this.db.query<ClusterImageRow>(`SELECT ${COLUMNS} FROM cluster_image WHERE team = $1 AND manifest_digest = ANY($2::text[])`, [this.team, [...manifestDigests]]);
    return rows.map(toRecord);
  }
}
