import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import type { ClusterObject, Workload, WorkloadImage } from './model';

type Db = Pick<PluginDatabase, 'query'>;

/** Rows per statement: one jsonb parameter each, so this bounds statement size. */
const BATCH = 500;

/** Something the inventory lacks, and why (a forbidden namespace, a kind the credentials may not list). */
export interface InventoryNote {
  kind: string;
  namespace?: string;
  message: string;
}

export type ClusterStatus = 'listing' | 'watching' | 'stopped' | 'failed';

export interface ClusterRow {
  team: string;
  cluster: string;
  server: string;
  context: string;
  source: string;
  generation: number;
  status: ClusterStatus;
  notes: InventoryNote[];
  taskId: string | null;
  syncedAt: Date | null;
}

/** A stored workload (cluster_workload) with its images. */
export interface StoredWorkload extends Omit<Workload, 'images'> {
  cluster: string;
  images: WorkloadImage[];
}

/**
 * The cluster inventory's tables (migrations.ts) over the plugin database. Every statement is
 * scoped by team and cluster; values always travel as parameters.
 */
export class ClusterStore {
  constructor(
    private readonly db: PluginDatabase,
    readonly team: string,
    readonly cluster: string,
  ) {}

  /** Creates or updates the cluster row for a new watch; returns the next generation (a full list's number). */
  async begin(connection: { server: string; context: string; source: string; taskId: string | null }): Promise<number> {
    const rows = await this.db.query<{ generation: string }>(
      `INSERT INTO cluster AS c (team, cluster, server, context, source, task_id, generation, status)
       VALUES ($1, $2, $3, $4, $5, $6, 1, 'listing')
       ON CONFLICT (team, cluster) DO UPDATE SET server = EXCLUDED.server, context = EXCLUDED.context, source = EXCLUDED.source,
         task_id = EXCLUDED.task_id, generation = c.generation + 1, status = 'listing', updated_at = now()
       RETURNING generation`,
      [this.team, this.cluster, connection.server, connection.context, connection.source, connection.taskId],
    );
    return Number(rows[0]?.generation ?? 1);
  }

  /** The task that watches this cluster now (the last to begin), if any. */
  async watcher(): Promise<string | null> {
    const rows = await this.db.query<{ task_id: string | null }>(`SELECT task_id FROM cluster WHERE team = $1 AND cluster = $2`, [this.team, this.cluster]);
    return rows[0]?.task_id ?? null;
  }

  /** A relist: the next generation number. */
  async nextGeneration(): Promise<number> {
    const rows = await this.db.query<{ generation: string }>(
      // Through a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count], a SELECT with rows.
      `WITH u AS (UPDATE cluster SET generation = generation + 1, status = 'listing', updated_at = now() WHERE team = $1 AND cluster = $2 RETURNING generation)
       SELECT generation FROM u`,
      [this.team, this.cluster],
    );
    return Number(rows[0]?.generation ?? 1);
  }

  /** Sets the status (and notes); with `taskId`, only while that task is the cluster's watcher. */
  async setStatus(status: ClusterStatus, notes?: readonly InventoryNote[], taskId?: string): Promise<void> {
    await this.db.query(
      `UPDATE cluster SET status = $3, notes = COALESCE($4::jsonb, notes), synced_at = CASE WHEN $3 = 'watching' THEN now() ELSE synced_at END, updated_at = now()
        WHERE team = $1 AND cluster = $2 AND ($5::uuid IS NULL OR task_id = $5::uuid)`,
      [this.team, this.cluster, status, notes ? JSON.stringify(notes) : null, taskId ?? null],
    );
  }

  /**
   * Ends a full list: deletes the rows the list of `generation` did not write (objects gone
   * while nothing watched). Rows of kinds or namespaces the list could not read are deleted
   * too: stale rows would answer questions wrongly; the notes say what is missing.
   */
  async finishList(generation: number): Promise<void> {
    for (const table of ['cluster_workload', 'cluster_object']) {
      await this.db.query(`DELETE FROM ${table} WHERE team = $1 AND cluster = $2 AND generation < $3`, [this.team, this.cluster, generation]);
    }
  }

  /** Finding targets of the rows a full list of `generation` did not write (call before finishList). */
  async staleTargets(generation: number): Promise<string[]> {
    const rows = await this.db.query<{ target: string }>(
      `SELECT target FROM cluster_workload WHERE team = $1 AND cluster = $2 AND generation < $3
       UNION
       SELECT 'cluster/' || cluster || '/' || kind || '/' || CASE WHEN namespace = '' THEN name ELSE namespace || '/' || name END
         FROM cluster_object WHERE team = $1 AND cluster = $2 AND generation < $3`,
      [this.team, this.cluster, generation],
    );
    return rows.map((r) => r.target);
  }

  /** Upserts workloads and replaces their image rows, in one transaction per batch. */
  async writeWorkloads(workloads: readonly Workload[], generation: number): Promise<void> {
    for (let i = 0; i < workloads.length; i += BATCH) {
      const batch = workloads.slice(i, i + BATCH);
      await this.db.transaction(async (db) => {
        await this.upsertWorkloads(db, batch, generation);
        await this.replaceImages(db, batch);
      });
    }
  }

  async writeObjects(objects: readonly ClusterObject[], generation: number): Promise<void> {
    for (let i = 0; i < objects.length; i += BATCH) {
      const rows = objects.slice(i, i + BATCH).map((o) => ({
        uid: o.uid, kind: o.kind, api_version: o.apiVersion, namespace: o.namespace, name: o.name,
        labels: (o.object['metadata'] as { labels?: unknown } | undefined)?.labels ?? {}, data: o.object, resource_version: o.resourceVersion,
      }));
      await this.db.query(
        `INSERT INTO cluster_object AS o (team, cluster, uid, kind, api_version, namespace, name, labels, data, resource_version, generation)
         SELECT $1, $2, r.uid, r.kind, r.api_version, r.namespace, r.name, COALESCE(r.labels, '{}'), r.data, r.resource_version, $4
           FROM jsonb_to_recordset($3::jsonb) AS r(uid text, kind text, api_version text, namespace text, name text, labels jsonb, data jsonb, resource_version text)
         ON CONFLICT (team, cluster, uid) DO UPDATE SET kind = EXCLUDED.kind, api_version = EXCLUDED.api_version, namespace = EXCLUDED.namespace,
           name = EXCLUDED.name, labels = EXCLUDED.labels, data = EXCLUDED.data, resource_version = EXCLUDED.resource_version,
           generation = EXCLUDED.generation, updated_at = now()`,
        [this.team, this.cluster, JSON.stringify(rows), generation],
      );
    }
  }

  /** Deletes objects (workloads with their images, or other objects) by uid. */
  async delete(uids: readonly string[]): Promise<void> {
    if (uids.length === 0) return;
    for (const table of ['cluster_workload', 'cluster_object']) {
      await this.db.query(`DELETE FROM ${table} WHERE team = $1 AND cluster = $2 AND uid = ANY($3::text[])`, [this.team, this.cluster, uids]);
    }
  }

  async get(): Promise<ClusterRow | undefined> {
    const rows = await this.db.query<Record<string, unknown>>(`SELECT * FROM cluster WHERE team = $1 AND cluster = $2`, [this.team, this.cluster]);
    const r = rows[0];
    if (!r) return undefined;
    return {
      team: String(r['team']), cluster: String(r['cluster']), server: String(r['server']), context: String(r['context']), source: String(r['source']),
      generation: Number(r['generation']), status: r['status'] as ClusterStatus, notes: r['notes'] as InventoryNote[],
      taskId: (r['task_id'] as string | null) ?? null, syncedAt: (r['synced_at'] as Date | null) ?? null,
    };
  }

  /** The cluster's workloads with their images, ordered by namespace, kind and name; optionally of one namespace. */
  async workloads(options: { namespace?: string } = {}): Promise<StoredWorkload[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT w.*, COALESCE((SELECT jsonb_agg(jsonb_build_object('containerType', i.container_type, 'container', i.container, 'image', i.image,
                 'imageId', i.image_id, 'digest', i.digest, 'repository', i.repository) ORDER BY i.container_type, i.container)
                 FROM cluster_workload_image i WHERE i.team = w.team AND i.cluster = w.cluster AND i.workload_uid = w.uid), '[]') AS images
         FROM cluster_workload w
        WHERE w.team = $1 AND w.cluster = $2 AND ($3::text IS NULL OR w.namespace = $3)
        ORDER BY w.namespace, w.kind, w.name`,
      [this.team, this.cluster, options.namespace ?? null],
    );
    return rows.map(storedWorkloadOf);
  }

  /** Count of other objects by kind (for summaries and tests). */
  async objectCounts(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ kind: string; n: string }>(
      `SELECT kind, count(*) AS n FROM cluster_object WHERE team = $1 AND cluster = $2 GROUP BY kind`,
      [this.team, this.cluster],
    );
    return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
  }

  private async upsertWorkloads(db: Db, workloads: readonly Workload[], generation: number): Promise<void> {
    const rows = workloads.map((w) => ({
      uid: w.uid, kind: w.kind, api_version: w.apiVersion, namespace: w.namespace, name: w.name,
      owner_kind: w.owner?.kind ?? null, owner_name: w.owner?.name ?? null, owner_uid: w.owner?.uid ?? null,
      root_kind: w.root.kind, root_name: w.root.name, root_uid: w.root.uid, target: w.target,
      service_account: w.serviceAccount, image_pull_secrets: w.imagePullSecrets, labels: w.labels, node_name: w.nodeName,
      phase: w.phase, pod_security_level: w.podSecurityLevel, resource_version: w.resourceVersion,
    }));
    await db.query(
      `INSERT INTO cluster_workload AS w (team, cluster, uid, kind, api_version, namespace, name, owner_kind, owner_name, owner_uid,
         root_kind, root_name, root_uid, target, service_account, image_pull_secrets, labels, node_name, phase, pod_security_level, resource_version, generation)
       SELECT $1, $2, r.uid, r.kind, r.api_version, r.namespace, r.name, r.owner_kind, r.owner_name, r.owner_uid,
         r.root_kind, r.root_name, r.root_uid, r.target, r.service_account, ARRAY(SELECT jsonb_array_elements_text(r.image_pull_secrets)),
         r.labels, r.node_name, r.phase, r.pod_security_level, r.resource_version, $4
         FROM jsonb_to_recordset($3::jsonb) AS r(uid text, kind text, api_version text, namespace text, name text, owner_kind text, owner_name text,
           owner_uid text, root_kind text, root_name text, root_uid text, target text, service_account text, image_pull_secrets jsonb, labels jsonb,
           node_name text, phase text, pod_security_level text, resource_version text)
       ON CONFLICT (team, cluster, uid) DO UPDATE SET kind = EXCLUDED.kind, api_version = EXCLUDED.api_version, namespace = EXCLUDED.namespace,
         name = EXCLUDED.name, owner_kind = EXCLUDED.owner_kind, owner_name = EXCLUDED.owner_name, owner_uid = EXCLUDED.owner_uid,
         root_kind = EXCLUDED.root_kind, root_name = EXCLUDED.root_name, root_uid = EXCLUDED.root_uid, target = EXCLUDED.target,
         service_account = EXCLUDED.service_account, image_pull_secrets = EXCLUDED.image_pull_secrets, labels = EXCLUDED.labels,
         node_name = EXCLUDED.node_name, phase = EXCLUDED.phase, pod_security_level = EXCLUDED.pod_security_level,
         resource_version = EXCLUDED.resource_version, generation = EXCLUDED.generation, updated_at = now()`,
      [this.team, this.cluster, JSON.stringify(rows), generation],
    );
  }

  private async replaceImages(db: Db, workloads: readonly Workload[]): Promise<void> {
    await db.query(`DELETE FROM cluster_workload_image WHERE team = $1 AND cluster = $2 AND workload_uid = ANY($3::text[])`, [
      this.team,
      this.cluster,
      workloads.map((w) => w.uid),
    ]);
    const rows = workloads.flatMap((w) =>
      w.images.map((i) => ({ workload_uid: w.uid, container_type: i.containerType, container: i.container, image: i.image, image_id: i.imageId, digest: i.digest, repository: i.repository })),
    );
    if (rows.length === 0) return;
    await db.query(
      `INSERT INTO cluster_workload_image (team, cluster, workload_uid, container_type, container, image, image_id, digest, repository)
       SELECT DISTINCT ON (r.workload_uid, r.container_type, r.container) $1, $2, r.workload_uid, r.container_type, r.container, r.image, r.image_id, r.digest, r.repository
         FROM jsonb_to_recordset($3::jsonb) AS r(workload_uid text, container_type text, container text, image text, image_id text, digest text, repository text)`,
      [this.team, this.cluster, JSON.stringify(rows)],
    );
  }
}

function storedWorkloadOf(r: Record<string, unknown>): StoredWorkload {
  const ownerUid = r['owner_uid'] as string | null;
  return {
    cluster: String(r['cluster']),
    uid: String(r['uid']),
    kind: String(r['kind']),
    apiVersion: String(r['api_version']),
    namespace: String(r['namespace']),
    name: String(r['name']),
    owner: ownerUid ? { kind: String(r['owner_kind']), name: String(r['owner_name']), uid: ownerUid } : null,
    root: { kind: String(r['root_kind']), name: String(r['root_name']), uid: String(r['root_uid']) },
    target: String(r['target']),
    serviceAccount: String(r['service_account']),
    imagePullSecrets: r['image_pull_secrets'] as string[],
    labels: r['labels'] as Record<string, string>,
    nodeName: String(r['node_name']),
    phase: String(r['phase']),
    podSecurityLevel: (r['pod_security_level'] as Workload['podSecurityLevel']) ?? null,
    resourceVersion: String(r['resource_version']),
    images: r['images'] as WorkloadImage[],
  };
}
