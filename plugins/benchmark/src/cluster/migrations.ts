import type { PluginMigration } from '@bulkhead/plugin-sdk/api';

/*
 * The cluster inventory's tables (plugin migrations of the benchmark plugin). Every row carries
 * its `team` and its `cluster` (the name the operator gave the connection), so one installation
 * watches several clusters for several teams. A shipped step is never edited: add a new one.
 *
 * - cluster: one watched connection; `generation` counts full lists (a relist writes every row
 *   with the new generation, then deletes the rows it did not see); `notes` says what the
 *   inventory lacks (a forbidden namespace, a kind the credentials may not list).
 * - cluster_workload: Pods and workload controllers with their owner chain: the direct
 *   controller owner (`owner_*`) and the top of the chain (`root_*`: Pod → ReplicaSet →
 *   Deployment gives root Deployment; a bare Pod is its own root). `target` is the finding
 *   target its checks report on; `pod_security_level` the highest Pod Security Standards level
 *   its pod (template) satisfies (privileged < baseline < restricted).
 * - cluster_workload_image: one row per container: the image reference of the spec and, for
 *   Pods, what actually runs (`containerStatuses[].imageID` as reported, its `digest` and the
 *   `repository` it was pulled from).
 * - cluster_object: the other kinds the checks read (Namespaces, Nodes, Services,
 *   NetworkPolicies, RBAC objects, ServiceAccounts), as sanitised JSON (no managedFields; no
 *   Secret is ever stored).
 */
export const clusterMigrations: readonly PluginMigration[] = [
  {
    id: '0004-cluster-inventory',
    up: async (db) => {
      await db.query(
        `CREATE TABLE cluster (
           team text NOT NULL, cluster text NOT NULL, server text NOT NULL DEFAULT '', context text NOT NULL DEFAULT '',
           source text NOT NULL, generation bigint NOT NULL DEFAULT 0, status text NOT NULL DEFAULT 'listing',
           notes jsonb NOT NULL DEFAULT '[]', task_id uuid, synced_at timestamptz(3),
           created_at timestamptz(3) NOT NULL DEFAULT now(), updated_at timestamptz(3) NOT NULL DEFAULT now(),
           PRIMARY KEY (team, cluster))`,
      );
      await db.query(
        `CREATE TABLE cluster_workload (
           team text NOT NULL, cluster text NOT NULL, uid text NOT NULL, kind text NOT NULL, api_version text NOT NULL,
           namespace text NOT NULL, name text NOT NULL,
           owner_kind text, owner_name text, owner_uid text,
           root_kind text NOT NULL, root_name text NOT NULL, root_uid text NOT NULL,
           target text NOT NULL, service_account text NOT NULL DEFAULT '', image_pull_secrets text[] NOT NULL DEFAULT '{}',
           labels jsonb NOT NULL DEFAULT '{}', node_name text NOT NULL DEFAULT '', phase text NOT NULL DEFAULT '',
           pod_security_level text, resource_version text NOT NULL DEFAULT '', generation bigint NOT NULL,
           created_at timestamptz(3) NOT NULL DEFAULT now(), updated_at timestamptz(3) NOT NULL DEFAULT now(),
           PRIMARY KEY (team, cluster, uid))`,
      );
      await db.query(`CREATE INDEX cluster_workload_namespace ON cluster_workload (team, cluster, namespace, kind, name)`);
      await db.query(`CREATE INDEX cluster_workload_root ON cluster_workload (team, cluster, root_uid)`);
      await db.query(`CREATE INDEX cluster_workload_target ON cluster_workload (team, target)`);
      await db.query(
        `CREATE TABLE cluster_workload_image (
           team text NOT NULL, cluster text NOT NULL, workload_uid text NOT NULL,
           container_type text NOT NULL, container text NOT NULL,
           image text NOT NULL, image_id text NOT NULL DEFAULT '', digest text, repository text,
           PRIMARY KEY (team, cluster, workload_uid, container_type, container),
           FOREIGN KEY (team, cluster, workload_uid) REFERENCES cluster_workload (team, cluster, uid) ON DELETE CASCADE)`,
      );
      await db.query(`CREATE INDEX cluster_workload_image_digest ON cluster_workload_image (team, digest) WHERE digest IS NOT NULL`);
      await db.query(
        `CREATE TABLE cluster_object (
           team text NOT NULL, cluster text NOT NULL, uid text NOT NULL, kind text NOT NULL, api_version text NOT NULL,
           namespace text NOT NULL, name text NOT NULL, labels jsonb NOT NULL DEFAULT '{}', data jsonb NOT NULL,
           resource_version text NOT NULL DEFAULT '', generation bigint NOT NULL,
           updated_at timestamptz(3) NOT NULL DEFAULT now(),
           PRIMARY KEY (team, cluster, uid))`,
      );
      await db.query(`CREATE INDEX cluster_object_kind ON cluster_object (team, cluster, kind, namespace, name)`);
    },
  },
];
