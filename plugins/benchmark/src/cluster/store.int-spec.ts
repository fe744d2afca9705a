import { ClusterStore } from './store';
import { toClusterObject, toWorkload, type ClusterObject } from './model';
import { createClusterTestDatabase, type ClusterTestDatabase } from './testing/plugin-db';

/* The cluster inventory tables in a real Postgres (a schema of this suite's own, dropped afterwards). */

let db: ClusterTestDatabase;
beforeAll(async () => {
  db = await createClusterTestDatabase('cluster_store');
});
afterAll(async () => {
  await db?.drop();
});

const digest = `sha256:${'a'.repeat(64)}`;
function objects(): ClusterObject[] {
  const deployment = toClusterObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { uid: 'd1', name: 'web', namespace: 'shop', resourceVersion: '5' }, spec: { template: { spec: { containers: [{ name: 'app', image: 'reg.example/web:1' }] } } } }, 'Deployment', 'apps/v1');
  const rs = toClusterObject({ kind: 'ReplicaSet', metadata: { uid: 'r1', name: 'web-7d', namespace: 'shop', ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'd1', controller: true }] }, spec: { template: { spec: { containers: [{ name: 'app', image: 'reg.example/web:1' }] } } } }, 'ReplicaSet', 'apps/v1');
  const pod = toClusterObject(
    {
      kind: 'Pod',
      metadata: { uid: 'p1', name: 'web-7d-x', namespace: 'shop', ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d', uid: 'r1', controller: true }], managedFields: [{ manager: 'kubectl' }] },
      spec: { serviceAccountName: 'web', imagePullSecrets: [{ name: 'regcred' }], containers: [{ name: 'app', image: 'reg.example/web:1', securityContext: { privileged: true } }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', imageID: `docker-pullable://reg.example/web@${digest}` }] },
    },
    'Pod',
    'v1',
  );
  return [deployment, rs, pod].map((o) => {
    if (!o) throw new Error('fixture without identity');
    return o;
  });
}

describe('ClusterStore', () => {
  it('stores workloads with their owner chain and running digests, team and cluster scoped, and drops what a relist did not see', async () => {
    const store = new ClusterStore(db.database, 'team-a', 'prod');
    const other = new ClusterStore(db.database, 'team-b', 'prod');
    const generation = await store.begin({ server: 'https://k8s.example', context: 'prod', source: 'kubeconfig', taskId: null });
    await other.begin({ server: 'https://k8s.example', context: 'prod', source: 'kubeconfig', taskId: null });
    const all = objects();
    const byUid = new Map(all.map((o) => [o.uid, o]));
    await store.writeWorkloads(all.map((o) => toWorkload('prod', o, (uid) => byUid.get(uid))), generation);
    await store.finishList(generation);
    const stored = await store.workloads({ namespace: 'shop' });
    expect(stored.map((w) => [w.kind, w.name, w.root.kind, w.root.name])).toEqual([
      ['Deployment', 'web', 'Deployment', 'web'],
      ['Pod', 'web-7d-x', 'Deployment', 'web'],
      ['ReplicaSet', 'web-7d', 'Deployment', 'web'],
    ]);
    const pod = stored.find((w) => w.kind === 'Pod');
    expect(pod).toMatchObject({
      owner: { kind: 'ReplicaSet', name: 'web-7d', uid: 'r1' },
      target: 'cluster/prod/Pod/shop/web-7d-x',
      serviceAccount: 'web',
      imagePullSecrets: ['regcred'],
      phase: 'Running',
      podSecurityLevel: 'privileged',
      images: [{ containerType: 'container', container: 'app', image: 'reg.example/web:1', digest, repository: 'reg.example/web' }],
    });
    expect(await other.workloads()).toEqual([]);

    // A relist that no longer sees the pod removes it (and its images).
    const next = await store.nextGeneration();
    await store.writeWorkloads(all.filter((o) => o.kind !== 'Pod').map((o) => toWorkload('prod', o, (uid) => byUid.get(uid))), next);
    await store.finishList(next);
    expect((await store.workloads()).map((w) => w.kind)).toEqual(['Deployment', 'ReplicaSet']);
    expect(await db.database.query(`SELECT * FROM cluster_workload_image WHERE workload_uid = 'p1'`)).toEqual([]);
    // The last task to begin is the cluster's watcher.
    expect(await store.watcher()).toBeNull();
    await store.begin({ server: 'https://k8s.example', context: 'prod', source: 'kubeconfig', taskId: '00000000-0000-4000-8000-000000000001' });
    await store.begin({ server: 'https://k8s.example', context: 'other', source: 'kubeconfig', taskId: '00000000-0000-4000-8000-000000000002' });
    expect(await store.watcher()).toBe('00000000-0000-4000-8000-000000000002');
    await store.setStatus('watching', [{ kind: 'Pod', namespace: 'secret-ns', message: 'forbidden' }]);
    expect(await store.get()).toMatchObject({ status: 'watching', generation: next + 2, notes: [{ kind: 'Pod', namespace: 'secret-ns' }] });
  });
});
