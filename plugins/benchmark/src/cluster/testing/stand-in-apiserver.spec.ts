import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { StandInApiServer, standInKubeconfig } from './stand-in-apiserver';

/*
 * The stand-in's answers, read by the official client (@kubernetes/client-node): what it sends
 * must be what a kube-apiserver sends, as the client understands it.
 */

jest.setTimeout(30_000);
let server: StandInApiServer;
beforeAll(async () => {
  server = await new StandInApiServer({ tokens: ['good'], expiredTokens: ['old'], forbiddenNamespaces: ['vault'], bookmarkMs: 50 }).start();
  for (let i = 0; i < 5; i++) server.put({ kind: 'Pod', metadata: { name: `p${i}`, namespace: 'shop' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  server.put({ kind: 'Namespace', metadata: { name: 'shop' } });
});
afterAll(async () => {
  await server?.stop();
});

function client(options: { token?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(standInKubeconfig(server, options));
  return kc;
}

describe('stand-in kube-apiserver, read by @kubernetes/client-node', () => {
  it('pages a list with limit and continue, items typed by the client', async () => {
    const api = client({ token: 'good' }).makeApiClient(CoreV1Api);
    const first = await api.listNamespacedPod({ namespace: 'shop', limit: 2 });
    expect(first.items.map((p) => p.metadata?.name)).toEqual(['p0', 'p1']);
    expect(first.metadata?.remainingItemCount).toBe(3);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await api.listNamespacedPod({ namespace: 'shop', limit: 2, ...(token ? { _continue: token } : {}) });
      names.push(...page.items.map((p) => p.metadata?.name ?? ''));
      token = page.metadata?._continue;
    } while (token);
    expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('authenticates with a client certificate', async () => {
    const list = await client().makeApiClient(CoreV1Api).listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(['shop']);
  });

  it('answers 401 to an expired token and 403 to a forbidden namespace, with Status bodies', async () => {
    await expect(client({ token: 'old' }).makeApiClient(CoreV1Api).listNamespace()).rejects.toMatchObject({ code: 401 });
    const forbidden = client({ token: 'good' }).makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'vault' });
    await expect(forbidden).rejects.toMatchObject({ code: 403, body: expect.stringContaining('cannot list resource \\"pods\\" in API group \\"\\" in the namespace \\"vault\\"') });
    await expect(client({ token: 'good' }).makeApiClient(CoreV1Api).listPodForAllNamespaces()).rejects.toMatchObject({ code: 403 });
  });

  it('streams watch events after a resourceVersion, with bookmarks, and 410 Expired after a compaction', async () => {
    const from = server.resourceVersion;
    const seen: string[] = [];
    const watch = new Watch(client({ token: 'good' }));
    const controller = await watch.watch('/api/v1/namespaces/shop/pods', { resourceVersion: String(from), allowWatchBookmarks: true }, (type, object: { metadata?: { name?: string } }) => {
      seen.push(type === 'BOOKMARK' ? 'BOOKMARK' : `${type} ${object.metadata?.name}`);
    }, () => undefined);
    server.put({ kind: 'Pod', metadata: { name: 'new', namespace: 'shop' }, spec: { containers: [] } });
    server.remove('Pod', 'shop', 'p0');
    await new Promise((r) => setTimeout(r, 150));
    controller.abort();
    expect(seen.filter((s) => s !== 'BOOKMARK')).toEqual(['ADDED new', 'DELETED p0']);
    expect(seen).toContain('BOOKMARK');

    server.compact();
    const errors: { type: string; code?: number; reason?: string }[] = [];
    await new Promise<void>((resolve) => {
      void watch.watch('/api/v1/namespaces/shop/pods', { resourceVersion: String(from) }, (type, object: { code?: number; reason?: string }) => errors.push({ type, code: object.code, reason: object.reason }), () => resolve());
    });
    expect(errors).toEqual([{ type: 'ERROR', code: 410, reason: 'Expired' }]);
  });
});
