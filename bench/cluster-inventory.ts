// Cluster inventory of a replayed cluster: `npm run bench -- cluster-inventory [pods]`.
//
// The HTTPS stand-in kube-apiserver (in this process) replays a cluster of `pods` Pods (default
// 10,000: 20 namespaces × 50 Deployments, each with its ReplicaSet and 10 Pods, plus per
// namespace a ServiceAccount, a NetworkPolicy and a Service). Measured, each after a collection:
// - baseline: @kubernetes/client-node listing the same kinds, paged (limit 500 + continue),
//   through its typed APIs (CoreV1Api.listPodForAllNamespaces …: typed models);
// - the inventory engine (ClusterInventory.list: the same pages, normalised objects);
// - the whole first sync of `watch-cluster`: list, owner chains and images, written to Postgres
//   (ClusterStore, a scratch schema), and the live checks over every object.
// Time and peak RSS (sampled every 10 ms) per row; the stand-in's own serving cost is in every row.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { ClusterInventory, ClusterStore, connect, INVENTORY_KINDS, KubeApiClient, LiveChecks, toWorkload } from '@bulkhead/plugin-benchmark';
import { createClusterTestDatabase, replayCluster, StandInApiServer, standInKubeconfig } from '@bulkhead/plugin-benchmark/testing';
import { gc, printTable, timeAsync } from './lib/measure';

const PODS = Number(process.argv[2] ?? 10_000);
const NAMESPACES = 20;
const DEPLOYMENTS = 50;

/** Runs `fn`, sampling RSS every 10 ms; returns its time and the peak RSS seen (MiB). */
async function measure(fn: () => Promise<void>): Promise<{ ms: number; peakMiB: number }> {
  gc();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const ms = await timeAsync(fn);
    peak = Math.max(peak, process.memoryUsage().rss);
    return { ms, peakMiB: peak / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  const podsPer = Math.max(1, Math.round(PODS / (NAMESPACES * DEPLOYMENTS)));
  const server = await new StandInApiServer().start();
  const { pods } = replayCluster(server, { namespaces: NAMESPACES, deployments: DEPLOYMENTS, podsPerDeployment: podsPer });
  const dir = mkdtempSync(path.join(tmpdir(), 'bh-bench-cluster-'));
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(file, standInKubeconfig(server, { token: 'valid-token' }));
  const db = await createClusterTestDatabase('bench_cluster');
  try {
    const connection = await connect({ kubeconfig: file });
    const k8s = await import('@kubernetes/client-node');
    const core = connection.kc.makeApiClient(k8s.CoreV1Api);
    const apps = connection.kc.makeApiClient(k8s.AppsV1Api);
    const batch = connection.kc.makeApiClient(k8s.BatchV1Api);
    const net = connection.kc.makeApiClient(k8s.NetworkingV1Api);
    const rbac = connection.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    type Page = { items: unknown[]; metadata?: { _continue?: string } };
    type Lister = (p: { limit: number; _continue?: string }) => Promise<Page>;
    // The typed list call of each kind the inventory lists (same order as INVENTORY_KINDS).
    const listers: Lister[] = [
      (p) => core.listNamespace(p), (p) => core.listNode(p), (p) => core.listPodForAllNamespaces(p),
      (p) => core.listReplicationControllerForAllNamespaces(p), (p) => core.listServiceForAllNamespaces(p), (p) => core.listServiceAccountForAllNamespaces(p),
      (p) => apps.listDeploymentForAllNamespaces(p), (p) => apps.listReplicaSetForAllNamespaces(p), (p) => apps.listStatefulSetForAllNamespaces(p),
      (p) => apps.listDaemonSetForAllNamespaces(p), (p) => batch.listJobForAllNamespaces(p), (p) => batch.listCronJobForAllNamespaces(p),
      (p) => net.listNetworkPolicyForAllNamespaces(p), (p) => rbac.listRoleForAllNamespaces(p), (p) => rbac.listRoleBindingForAllNamespaces(p),
      (p) => rbac.listClusterRole(p), (p) => rbac.listClusterRoleBinding(p),
    ];
    if (listers.length !== INVENTORY_KINDS.length) throw new Error('one typed lister per inventory kind');
    let baselineObjects = 0;
    const baseline = await measure(async () => {
      for (const list of listers) {
        let token: string | undefined;
        do {
          const page = await list({ limit: 500, ...(token ? { _continue: token } : {}) });
          baselineObjects += page.items.length;
          token = page.metadata?._continue;
        } while (token);
      }
    });

    let engineObjects = 0;
    const engine = await measure(async () => {
      const client = new KubeApiClient(connection);
      const inventory = new ClusterInventory(client, connection.server);
      await inventory.list();
      engineObjects = inventory.objects.size;
      client.close();
    });

    let findings = 0;
    let stored = 0;
    const full = await measure(async () => {
      const client = new KubeApiClient(connection);
      const inventory = new ClusterInventory(client, connection.server);
      await inventory.list();
      const store = new ClusterStore(db.database, 'bench', 'bench');
      const generation = await store.begin({ server: connection.server, context: connection.context, source: 'kubeconfig', taskId: null });
      const objects = [...inventory.objects.values()];
      const workloads = objects.filter((o) => INVENTORY_KINDS.find((k) => k.kind === o.kind)?.workload).map((o) => toWorkload('bench', o, (uid) => inventory.objects.get(uid)));
      await store.writeWorkloads(workloads, generation);
      await store.writeObjects(objects.filter((o) => !INVENTORY_KINDS.find((k) => k.kind === o.kind)?.workload), generation);
      await store.finishList(generation);
      const checks = new LiveChecks(inventory.objects, { cluster: 'bench' });
      findings = checks.evaluate(checks.allUnits()).reduce((n, r) => n + r.findings.length, 0);
      stored = (await store.workloads()).length;
      client.close();
    });

    if (engineObjects !== baselineObjects) throw new Error(`the engine listed ${engineObjects} objects, client-node ${baselineObjects}`);
    const row = (name: string, m: { ms: number; peakMiB: number }, note: string): string[] => [name, String(engineObjects), `${(m.ms / 1000).toFixed(2)} s`, `${(m.ms / baseline.ms).toFixed(2)}x`, `${m.peakMiB.toFixed(0)} MiB`, note];
    console.log(`cluster inventory: ${pods} pods, ${engineObjects} objects over ${INVENTORY_KINDS.length} kinds (HTTPS stand-in in process); load ${loadavg()[0]?.toFixed(2)}`);
    printTable(
      ['case', 'objects', 'time', 'vs baseline', 'peak RSS', 'note'],
      [
        row('baseline: client-node typed list calls, paged', baseline, 'typed models, nothing kept'),
        row('ClusterInventory.list', engine, 'normalised objects kept in memory'),
        row('first sync: list + store + live checks', full, `${stored} workload rows in Postgres, ${findings} findings`),
      ],
    );
  } finally {
    await db.drop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
