import DataLoader from 'dataloader';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { WORKLOAD_COLUMNS, type WorkloadRow } from './workload-query';
import type { WorkloadImage } from './workload.model';
import type { WorkloadsService } from './workloads.service';

/*
 * Per-request batching (DataLoader) of the fields of a page: the images of every workload of the
 * page in one statement (plus one signature lookup per 1,000 digests), and the workloads of every
 * image asked in the same tick (Image.workloads) in one statement. Loaders live as long as the
 * request's GraphQL context object (a WeakMap key): nothing is cached across requests or teams.
 */

/** Most workloads listed for one image (Image.workloads): the first by cluster, namespace, kind, name. */
export const MAX_WORKLOADS_PER_IMAGE = 1000;

interface ImageRow {
  cluster: string;
  workload_uid: string;
  container_type: string;
  container: string;
  image: string;
  digest: string | null;
  repository: string | null;
  image_id: string | null;
  scan_status: string | null;
  scan_error: string | null;
}

type WorkloadKey = `${string}/${string}`;

export function workloadKey(cluster: string, uid: string): WorkloadKey {
  return `${cluster}/${uid}`;
}

class RequestLoaders {
  readonly images: DataLoader<WorkloadKey, WorkloadImage[]>;
  readonly workloadsOfImage: DataLoader<string, WorkloadRow[]>;

  constructor(
    private readonly db: PluginDatabase,
    private readonly team: string,
    private readonly service: WorkloadsService,
  ) {
    this.images = new DataLoader((keys) => this.loadImages(keys), { maxBatchSize: 1000 });
    this.workloadsOfImage = new DataLoader((imageIds) => this.loadWorkloads(imageIds), { maxBatchSize: 1000 });
  }

  /** The containers of each workload and of the pods it owns (a controller runs its pods' images), each (container, image, digest) once. */
  private async loadImages(keys: readonly WorkloadKey[]): Promise<WorkloadImage[][]> {
    const pairs = keys.map((key) => {
      const slash = key.indexOf('/');
      return [key.slice(0, slash), key.slice(slash + 1)] as const;
    });
    const rows = await this.db.query<ImageRow>(
      `SELECT DISTINCT k.cluster, k.uid AS workload_uid, i.container_type, i.container, i.image, i.digest, i.repository, ci.image_id, ci.scan_status, ci.scan_error
         FROM unnest($2::text[], $3::text[]) AS k(cluster, uid)
         CROSS JOIN LATERAL (
           SELECT k.uid AS pod
           UNION SELECT p.uid FROM cluster_workload p WHERE p.team = $1 AND p.cluster = k.cluster AND p.root_uid = k.uid
           UNION SELECT p.uid FROM cluster_workload p WHERE p.team = $1 AND p.cluster = k.cluster AND p.owner_uid = k.uid
         ) AS pods
         JOIN cluster_workload_image i ON i.team = $1 AND i.cluster = k.cluster AND i.workload_uid = pods.pod
         LEFT JOIN cluster_image ci ON ci.team = i.team AND ci.manifest_digest = i.digest
        ORDER BY k.cluster, k.uid, i.container_type, i.container, i.image, i.digest`,
      [this.team, pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    const digests = [...new Set(rows.map((row) => row.digest).filter((digest): digest is string => digest !== null))];
    const signed = await this.service.signedByDigest(digests);
    const byWorkload = new Map<string, WorkloadImage[]>();
    for (const row of rows) {
      const key = workloadKey(row.cluster, row.workload_uid);
      const list = byWorkload.get(key) ?? [];
      list.push({
        containerType: row.container_type,
        container: row.container,
        image: row.image,
        digest: row.digest,
        repository: row.repository,
        imageId: row.image_id,
        scanStatus: row.scan_status,
        scanError: row.scan_error,
        signed: row.digest && signed ? (signed.get(row.digest) ?? false) : null,
      });
      byWorkload.set(key, list);
    }
    return keys.map((key) => byWorkload.get(key) ?? []);
  }

  /** The top-level workloads (owner-chain roots) running each image id, through the digests scanned to it. */
  private async loadWorkloads(imageIds: readonly string[]): Promise<WorkloadRow[][]> {
    const rows = await this.db.query<WorkloadRow & { for_image: string }>(
      `SELECT r.* FROM (
         SELECT d.*, row_number() OVER (PARTITION BY d.for_image ORDER BY d.cluster, d.namespace, d.kind, d.name, d.uid) AS n FROM (
           SELECT DISTINCT ci.image_id AS for_image, ${WORKLOAD_COLUMNS}
             FROM cluster_image ci
             JOIN cluster_workload_image i ON i.team = ci.team AND i.digest = ci.manifest_digest
             JOIN cluster_workload p ON p.team = i.team AND p.cluster = i.cluster AND p.uid = i.workload_uid
             JOIN cluster_workload w ON w.team = p.team AND w.cluster = p.cluster AND w.uid = p.root_uid
            WHERE ci.team = $1 AND ci.image_id = ANY($2::text[])) d
       ) r WHERE r.n <= $3 ORDER BY r.cluster, r.namespace, r.kind, r.name, r.uid`,
      [this.team, [...imageIds], MAX_WORKLOADS_PER_IMAGE],
    );
    const byImage = new Map<string, WorkloadRow[]>();
    for (const row of rows) {
      const list = byImage.get(row.for_image) ?? [];
      list.push(row);
      byImage.set(row.for_image, list);
    }
    return imageIds.map((id) => byImage.get(id) ?? []);
  }
}

const byRequest = new WeakMap<object, RequestLoaders>();

/** The loaders of the request whose GraphQL context is `context`. */
export function workloadLoaders(context: object, db: PluginDatabase, team: string, service: WorkloadsService): RequestLoaders {
  let loaders = byRequest.get(context);
  if (!loaders) byRequest.set(context, (loaders = new RequestLoaders(db, team, service)));
  return loaders;
}
