import { BadInputError } from '@bulkhead/plugin-sdk';

/*
 * The SQL of the workloads query over the plugin's own tables, built in one place with
 * positional parameters only. What lives in other owners' tables arrives as value lists the
 * service computed first: the image ids holding the asked vulnerabilities (from the host's
 * findings), the digests with a valid signature (from the signer's service), the targets with
 * findings of a kind. Each is applied as `= ANY($n)` inside one EXISTS over the workload's running
 * images, so the image conditions hold for the same image (correlated, not "some image is
 * vulnerable and some other image is unsigned").
 */

/** The workload columns every page reads. */
export const WORKLOAD_COLUMNS =
  'w.cluster, w.uid, w.kind, w.namespace, w.name, w.owner_kind, w.owner_name, w.owner_uid, w.root_kind, w.root_name, w.root_uid, w.target, w.service_account, w.phase, w.pod_security_level';

export interface WorkloadRow {
  cluster: string;
  uid: string;
  kind: string;
  namespace: string;
  name: string;
  owner_kind: string | null;
  owner_name: string | null;
  owner_uid: string | null;
  root_kind: string;
  root_name: string;
  root_uid: string;
  target: string;
  service_account: string;
  phase: string;
  pod_security_level: string | null;
}

/** Conditions resolved to values of this plugin's tables. */
export interface WorkloadConditions {
  team: string;
  cluster?: string;
  namespace?: string;
  podSecurityLevel?: string;
  includeOwned: boolean;
  /** Image ids (config digests) one running image must map to (the vulnerability conditions). */
  imageIds?: readonly string[];
  /** The running image must (signed: true) or must not (false) be one of these digests. */
  signature?: { signed: boolean; digests: readonly string[] };
  /** Finding targets: the workload's own (or an owned pod's), or the image id of a running image, must be one. */
  findingTargets?: readonly string[];
}

/** The keyset cursor of a page: the sort key of its last workload. */
export type WorkloadCursor = [cluster: string, namespace: string, kind: string, name: string, uid: string];

export function encodeCursor(row: Pick<WorkloadRow, 'cluster' | 'namespace' | 'kind' | 'name' | 'uid'>): string {
  return Buffer.from(JSON.stringify([row.cluster, row.namespace, row.kind, row.name, row.uid]), 'utf8').toString('base64url');
}

export function decodeCursor(after: string): WorkloadCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== 5 || !value.every((part) => typeof part === 'string')) {
    throw new BadInputError('after: not a cursor of this connection (give the endCursor of the previous page)');
  }
  return value as WorkloadCursor;
}

class Parameters {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The workloads an object stands for: itself, its controlling owner, the top of its chain. A
 * condition met by a pod (or its image) holds for each of them, so the conditions are semi-joins
 * `(w.cluster, w.uid) IN (…)` built from the pods that meet them: hashed once per statement,
 * where a correlated EXISTS with `p.uid = w.uid OR p.owner_uid = w.uid OR …` would compare every
 * workload with every pod (measured: 9.8 s for a page over 10,000 pods, bench/cluster-workloads-query.ts).
 */
const STANDS_FOR = 'CROSS JOIN LATERAL (VALUES (p.uid), (p.owner_uid), (p.root_uid)) AS v(uid)';

function whereClause(conditions: WorkloadConditions, params: Parameters): string {
  const team = params.add(conditions.team);
  const where = [`w.team = ${team}`];
  if (conditions.cluster !== undefined) where.push(`w.cluster = ${params.add(conditions.cluster)}`);
  if (conditions.namespace !== undefined) where.push(`w.namespace = ${params.add(conditions.namespace)}`);
  if (conditions.podSecurityLevel !== undefined) where.push(`w.pod_security_level = ${params.add(conditions.podSecurityLevel)}`);
  if (!conditions.includeOwned) where.push('w.root_uid = w.uid');
  const image: string[] = [];
  if (conditions.imageIds) image.push(`ci.image_id = ANY(${params.add([...conditions.imageIds])}::text[])`);
  if (conditions.signature) {
    const digests = params.add([...conditions.signature.digests]);
    image.push(conditions.signature.signed ? `i.digest = ANY(${digests}::text[])` : `NOT (i.digest = ANY(${digests}::text[]))`);
  }
  if (image.length > 0) {
    // One image row meets every image condition: the correlation the query promises.
    where.push(
      `(w.cluster, w.uid) IN (SELECT p.cluster, v.uid FROM cluster_workload_image i
         ${conditions.imageIds ? 'JOIN cluster_image ci ON ci.team = i.team AND ci.manifest_digest = i.digest' : ''}
         JOIN cluster_workload p ON p.team = i.team AND p.cluster = i.cluster AND p.uid = i.workload_uid
         ${STANDS_FOR}
         WHERE i.team = ${team} AND i.digest IS NOT NULL AND v.uid IS NOT NULL AND ${image.join(' AND ')})`,
    );
  }
  if (conditions.findingTargets) {
    // Its own findings, those of the pods and ReplicaSets under it, and those of its running images.
    const targets = params.add([...conditions.findingTargets]);
    where.push(
      `(w.cluster, w.uid) IN (SELECT p.cluster, v.uid FROM cluster_workload p ${STANDS_FOR}
         WHERE p.team = ${team} AND v.uid IS NOT NULL AND p.target = ANY(${targets}::text[])
       UNION ALL
       SELECT p.cluster, v.uid FROM cluster_image ci
         JOIN cluster_workload_image i ON i.team = ci.team AND i.digest = ci.manifest_digest
         JOIN cluster_workload p ON p.team = i.team AND p.cluster = i.cluster AND p.uid = i.workload_uid
         ${STANDS_FOR}
         WHERE ci.team = ${team} AND v.uid IS NOT NULL AND ci.image_id = ANY(${targets}::text[]))`,
    );
  }
  return where.join(' AND ');
}

/** One page of workloads (one row more than asked, to tell whether another page follows). */
export function workloadPageQuery(conditions: WorkloadConditions, first: number, after?: WorkloadCursor): { sql: string; parameters: unknown[] } {
  const params = new Parameters();
  let where = whereClause(conditions, params);
  if (after) {
    const keys = after.map((part) => params.add(part));
    where += ` AND (w.cluster, w.namespace, w.kind, w.name, w.uid) > (${keys.join(', ')})`;
  }
  const limit = params.add(first + 1);
  return {
    sql: `SELECT ${WORKLOAD_COLUMNS} FROM cluster_workload w WHERE ${where} ORDER BY w.cluster, w.namespace, w.kind, w.name, w.uid LIMIT ${limit}`,
    parameters: params.values,
  };
}

/** How many workloads match (the connection's totalCount). */
export function workloadCountQuery(conditions: WorkloadConditions): { sql: string; parameters: unknown[] } {
  const params = new Parameters();
  const where = whereClause(conditions, params);
  return { sql: `SELECT count(*)::int AS count FROM cluster_workload w WHERE ${where}`, parameters: params.values };
}

/**
 * The distinct running digests of the workloads the cheap conditions select, narrowed to the
 * image ids when given: the digests whose signatures the service must look up for `signed`.
 */
export function candidateDigestsQuery(conditions: Omit<WorkloadConditions, 'signature' | 'findingTargets'>): { sql: string; parameters: unknown[] } {
  const params = new Parameters();
  const where = [`i.team = ${params.add(conditions.team)}`, 'i.digest IS NOT NULL'];
  if (conditions.cluster !== undefined) where.push(`i.cluster = ${params.add(conditions.cluster)}`);
  // A pod runs in its controller's namespace: the pod's namespace stands for the workload's.
  if (conditions.namespace !== undefined) where.push(`p.namespace = ${params.add(conditions.namespace)}`);
  if (conditions.imageIds) where.push(`ci.image_id = ANY(${params.add([...conditions.imageIds])}::text[])`);
  return {
    sql: `SELECT DISTINCT i.digest FROM cluster_workload_image i
            JOIN cluster_workload p ON p.team = i.team AND p.cluster = i.cluster AND p.uid = i.workload_uid
            ${conditions.imageIds ? 'JOIN cluster_image ci ON ci.team = i.team AND ci.manifest_digest = i.digest' : ''}
           WHERE ${where.join(' AND ')} ORDER BY i.digest`,
    parameters: params.values,
  };
}
