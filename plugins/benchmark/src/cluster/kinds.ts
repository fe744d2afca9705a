/**
 * The kinds the cluster inventory lists and watches, with the REST path of each (core group
 * under /api/v1, others under /apis/<group>/<version>). Secrets are not among them: the
 * inventory never reads a Secret (workloads only name their imagePullSecrets).
 */
export interface InventoryKind {
  kind: string;
  apiVersion: string;
  /** The resource's plural name in its URL. */
  resource: string;
  namespaced: boolean;
  /** Pods and workload controllers (cluster_workload); the rest are cluster_object rows. */
  workload: boolean;
}

export const INVENTORY_KINDS: readonly InventoryKind[] = [
  { kind: 'Namespace', apiVersion: 'v1', resource: 'namespaces', namespaced: false, workload: false },
  { kind: 'Node', apiVersion: 'v1', resource: 'nodes', namespaced: false, workload: false },
  { kind: 'Pod', apiVersion: 'v1', resource: 'pods', namespaced: true, workload: true },
  { kind: 'ReplicationController', apiVersion: 'v1', resource: 'replicationcontrollers', namespaced: true, workload: true },
  { kind: 'Service', apiVersion: 'v1', resource: 'services', namespaced: true, workload: false },
  { kind: 'ServiceAccount', apiVersion: 'v1', resource: 'serviceaccounts', namespaced: true, workload: false },
  { kind: 'Deployment', apiVersion: 'apps/v1', resource: 'deployments', namespaced: true, workload: true },
  { kind: 'ReplicaSet', apiVersion: 'apps/v1', resource: 'replicasets', namespaced: true, workload: true },
  { kind: 'StatefulSet', apiVersion: 'apps/v1', resource: 'statefulsets', namespaced: true, workload: true },
  { kind: 'DaemonSet', apiVersion: 'apps/v1', resource: 'daemonsets', namespaced: true, workload: true },
  { kind: 'Job', apiVersion: 'batch/v1', resource: 'jobs', namespaced: true, workload: true },
  { kind: 'CronJob', apiVersion: 'batch/v1', resource: 'cronjobs', namespaced: true, workload: true },
  { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', resource: 'networkpolicies', namespaced: true, workload: false },
  { kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'roles', namespaced: true, workload: false },
  { kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'rolebindings', namespaced: true, workload: false },
  { kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'clusterroles', namespaced: false, workload: false },
  { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'clusterrolebindings', namespaced: false, workload: false },
];

/** `/api/v1` or `/apis/apps/v1`. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The list/watch path of a kind, cluster-wide or in one namespace. */
export function resourcePath(kind: InventoryKind, namespace?: string): string {
  const base = groupVersionPath(kind.apiVersion);
  return namespace && kind.namespaced ? `${base}/namespaces/${encodeURIComponent(namespace)}/${kind.resource}` : `${base}/${kind.resource}`;
}

export function inventoryKind(kind: string): InventoryKind | undefined {
  return INVENTORY_KINDS.find((k) => k.kind === kind);
}
