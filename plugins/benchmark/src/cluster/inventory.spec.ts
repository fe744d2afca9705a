import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeApiClient } from './api-client';
import { connect } from './connect';
import { ClusterInventory, type InventoryChange } from './inventory';
import { LiveChecks } from './live-checks';
import { toWorkload } from './model';
import { privilegedPod, replayCluster } from './testing/replayed-cluster';
import { StandInApiServer, standInKubeconfig } from './testing/stand-in-apiserver';

/*
 * The inventory engine against the stand-in apiserver: paged lists, the owner chain, a
 * forbidden namespace (partial inventory with a note), 401, and a watch that follows changes,
 * relists after 410 Expired (seeing what changed meanwhile, deletions included) and keeps the
 * live checks current.
 */

jest.setTimeout(30_000);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-inventory-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(server: StandInApiServer, token = 'valid-token'): Promise<{ inventory: ClusterInventory; client: KubeApiClient }> {
  const file = path.join(dir, `kc-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, standInKubeconfig(server, { token }));
  const connection = await connect({ kubeconfig: file });
  const client = new KubeApiClient(connection);
  return { inventory: new ClusterInventory(client, connection.server), client };
}

function merged(changes: readonly InventoryChange[]): InventoryChange {
  return { upserted: changes.flatMap((c) => c.upserted), deleted: changes.flatMap((c) => c.deleted) };
}

async function until(what: string, probe: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ClusterInventory with the stand-in apiserver', () => {
  let server: StandInApiServer;
  let stop: AbortController;
  beforeEach(() => (stop = new AbortController()));
  afterEach(async () => {
    stop.abort();
    await server?.stop();
  });

  it('lists every kind in pages, with owner chains and running digests', async () => {
    server = await new StandInApiServer().start();
    replayCluster(server, { namespaces: 2, deployments: 3, podsPerDeployment: 100 }); // 600 pods: two pages
    const { inventory, client } = await open(server);
    await inventory.list();
    client.close();
    const pods = [...inventory.objects.values()].filter((o) => o.kind === 'Pod');
    expect(pods).toHaveLength(600);
    expect(server.requests.filter((r) => r.startsWith('GET /api/v1/pods?')).length).toBe(2);
    expect(server.requests.some((r) => /\/api\/v1\/pods\?limit=500&continue=/.test(r))).toBe(true);
    expect(inventory.notes).toEqual([]);
    const pod = pods[0];
    if (!pod) throw new Error('no pod');
    const workload = toWorkload('c1', pod, (uid) => inventory.objects.get(uid));
    expect(workload).toMatchObject({ kind: 'Pod', owner: { kind: 'ReplicaSet' }, root: { kind: 'Deployment' }, podSecurityLevel: 'restricted', phase: 'Running' });
    expect(workload.images[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(workload.images[0]?.repository).toBe('registry.example/shop/web');
    const kinds = new Set([...inventory.objects.values()].map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Namespace', 'NetworkPolicy', 'Node', 'Pod', 'ReplicaSet', 'Service', 'ServiceAccount']);
  });

  it('refuses a list page larger than the bound instead of buffering it', async () => {
    server = await new StandInApiServer().start();
    replayCluster(server, { namespaces: 1, deployments: 1, podsPerDeployment: 50 });
    const file = path.join(dir, 'kc-big');
    writeFileSync(file, standInKubeconfig(server, { token: 'valid-token' }));
    const connection = await connect({ kubeconfig: file });
    const client = new KubeApiClient(connection, { maxPageBytes: 20_000 });
    await expect(new ClusterInventory(client, connection.server).list()).rejects.toThrow('/api/v1/pods?limit=500: the answer exceeds 20000 bytes');
    client.close();
  });

  it('a forbidden namespace gives a partial inventory with a clear note, not a failure', async () => {
    server = await new StandInApiServer({ forbiddenNamespaces: ['app-1'] }).start();
    replayCluster(server, { namespaces: 3 });
    const { inventory, client } = await open(server);
    await inventory.list();
    client.close();
    const namespaces = new Set([...inventory.objects.values()].filter((o) => o.kind === 'Pod').map((o) => o.namespace));
    expect([...namespaces].sort()).toEqual(['app-0', 'app-2']);
    expect(inventory.notes.find((n) => n.kind === 'Pod')).toEqual({ kind: 'Pod', namespace: 'app-1', message: 'pods is forbidden: User "system:serviceaccount:bulkhead:reader" cannot list resource "pods" in API group "" in the namespace "app-1"' });
  });

  it('an expired token is a clear error naming the server and what to do', async () => {
    server = await new StandInApiServer({ expiredTokens: ['old'] , tokens: ['old'] }).start();
    const { inventory, client } = await open(server, 'old');
    await expect(inventory.list()).rejects.toThrow(`the API server ${server.url} answered 401 Unauthorized (/api/v1/namespaces?limit=500): the credentials are missing, invalid or expired — renew the token or certificate in the kubeconfig`);
    client.close();
  });

  it('a token that expires while watching ends the watch with the 401 error', async () => {
    server = await new StandInApiServer({ tokens: ['soon'] }).start();
    replayCluster(server, { namespaces: 1, deployments: 1, podsPerDeployment: 1 });
    const { inventory, client } = await open(server, 'soon');
    await inventory.list();
    const watching = inventory.watch(() => undefined, stop.signal);
    await until('the watches', () => server.requests.filter((r) => r.includes('watch=true')).length >= 17);
    server.expiredTokens.add('soon');
    server.closeWatches();
    await expect(watching).rejects.toThrow(/answered 401 Unauthorized .*renew the token or certificate in the kubeconfig/);
    // Every other scope's watch stopped with it: nothing outlives the failed work.
    await until('every watch closed', () => server.openWatches === 0);
    // Reconnects already in flight when the first 401 came are answered; then none follow.
    let quietFor = 0;
    for (let seen = server.requests.length; quietFor < 3; ) {
      await new Promise((r) => setTimeout(r, 300));
      quietFor = server.requests.length === seen ? quietFor + 1 : 0;
      seen = server.requests.length;
    }
    expect(server.openWatches).toBe(0);
    client.close();
  });

  it('follows watch events, relists after 410 Expired, and keeps the live checks current', async () => {
    server = await new StandInApiServer({ bookmarkMs: 50 }).start();
    replayCluster(server, { namespaces: 1, deployments: 1, podsPerDeployment: 1 });
    const { inventory, client } = await open(server);
    await inventory.list();
    const checks = new LiveChecks(inventory.objects, { cluster: 'c1' });
    const initial = checks.evaluate(checks.allUnits());
    // The hardened Deployment only lacks a digest-pinned image; its Pods are checked through it.
    expect(initial.filter((r) => r.target.includes('/Deployment/')).flatMap((r) => r.findings.map((f) => f.ruleId))).toEqual(['image-digest']);
    expect(initial.some((r) => r.target.includes('/Pod/'))).toBe(false);
    const changes: InventoryChange[] = [];
    const watching = inventory.watch((c) => changes.push(c), stop.signal);

    server.put(privilegedPod('app-0', 'debug'));
    await until('the privileged pod', () => changes.some((c) => c.upserted.some((o) => o.name === 'debug')));
    const raised = checks.evaluate(checks.affected(merged(changes.splice(0))));
    const debug = raised.find((r) => r.target === 'cluster/c1/Pod/app-0/debug');
    expect(debug?.findings.map((f) => f.ruleId)).toContain('privileged');

    // The server forgets its history while the watches are down: the watch is answered 410 and relists.
    const lost = [...inventory.objects.values()].find((o) => o.kind === 'Deployment');
    server.closeWatches();
    server.remove('Pod', 'app-0', 'debug');
    server.remove('Deployment', 'app-0', lost?.name ?? '');
    server.compact();
    await until('the relist', () => !inventory.objects.has(lost?.uid ?? '') && ![...inventory.objects.values()].some((o) => o.name === 'debug'));
    expect(server.requests.filter((r) => r.startsWith('GET /api/v1/pods?limit=500')).length).toBeGreaterThanOrEqual(2);
    const resolved = checks.evaluate(checks.affected(merged(changes)));
    expect(resolved.find((r) => r.target === 'cluster/c1/Pod/app-0/debug')).toEqual({ target: 'cluster/c1/Pod/app-0/debug', findings: [] });
    stop.abort();
    await watching;
    client.close();
  });
});
