import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { RegistryClient, parseRegistryReference } from '@bulkhead/oci';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { StandInApiServer, standInKubeconfig } from '@bulkhead/plugin-benchmark/testing';
import { describeWithRegistry, startTestRegistry, type TestRegistry } from '@bulkhead/testing';

/*
 * Images of running workloads and the correlated query (issue 17, parts 4 and 5), end to end:
 * the real API and a worker in this process on real Postgres and Redis, a real registry on
 * loopback with three images (A: lodash 4.17.11, unsigned; B: lodash 4.17.11, signed by the
 * team's server key; C: lodash 4.17.21, unsigned), and a replayed cluster served by the
 * stand-in kube-apiserver and watched by the real `watch-cluster` task. Its first list asks for
 * `scan-cluster-images`, which queues one scan-workload-image flow per running digest (scanner
 * scan-image from the registry + signer verify-image); then one query answers "running
 * workloads with CVE-X whose image has no valid signature", with counts and pages. An advisory
 * update re-matches the stored packages: the answer changes without any image pulled again.
 */
jest.setTimeout(240_000);

const MASTER_KEY = randomBytes(32).toString('base64');
const WORKER_ENV = ['BULKHEAD_SIGNER_MASTER_KEY', 'BULKHEAD_REGISTRY_ALLOWED_HOSTS', 'BULKHEAD_REGISTRY_ALLOW_PRIVATE', 'BULKHEAD_ENABLE_CLUSTER_PULL_SECRETS'] as const;
const PULL_USER = { user: 'puller', password: `pw-${randomBytes(12).toString('hex')}` };
const CVE = 'CVE-2019-10744';
const CLUSTER = 'prod';

/** The lodash prototype-pollution advisory as OSV (fixed in `fixed`). */
function lodashAdvisory(fixed: string): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id: 'GHSA-jf85-cpcp-j695',
    aliases: [CVE],
    modified: '2099-01-01T00:00:00Z',
    summary: 'Prototype Pollution in lodash',
    affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] }],
    database_specific: { severity: 'CRITICAL' },
  };
}

interface WorkloadNode {
  namespace: string;
  kind: string;
  name: string;
  podSecurityLevel: string | null;
  images: { container: string; digest: string | null; imageId: string | null; scanStatus: string | null; signed: boolean | null }[];
}
interface WorkloadPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: WorkloadNode }[];
}
const PAGE_FIELDS = 'totalCount pageInfo { hasNextPage endCursor } edges { node { namespace kind name podSecurityLevel images { container digest imageId scanStatus signed } } }';

describeWithRegistry('running workloads: images scanned once, signatures, the correlated query (API + worker)', (registry) => {
  let platform: TestPlatform;
  let apiserver: StandInApiServer;
  let privateRegistry: TestRegistry;
  let work: string;
  let kubeconfigFile: string;
  let watchTaskId: string | undefined;
  let advisoryFile: string;
  const saved: Partial<Record<(typeof WORKER_ENV)[number], string | undefined>> = {};
  const digests: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
  const repository = () => `${registry().host}/cluster/app`;

  /** Waits until every task but the cluster's watch has finished; a failed one fails the test, naming it. */
  async function settle(): Promise<void> {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const rows: { status: string; n: string }[] = await platform.db.dataSource.query(`SELECT status, count(*) AS n FROM task WHERE type <> 'watch-cluster' GROUP BY status`);
      if (rows.some((r) => r.status === 'FAILED')) throw new Error(`a task failed: ${JSON.stringify(await platform.db.dataSource.query(`SELECT type, input, error FROM task WHERE status = 'FAILED'`))}`);
      if (!rows.some((r) => r.status === 'QUEUED' || r.status === 'RUNNING')) return;
      if (Date.now() > deadline) throw new Error(`tasks still unfinished: ${JSON.stringify(rows)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function importAdvisory(fixed: string): Promise<void> {
    await writeFile(advisoryFile, `${JSON.stringify(lodashAdvisory(fixed))}\n`);
    await graphqlData(platform.api.url, 'mutation($p: [String!]!) { importAdvisories(paths: $p) { id } }', { p: [advisoryFile] });
    await settle();
  }

  async function pushImage(client: RegistryClient, tag: string, lodash: string, repo = repository()): Promise<string> {
    const layout = path.join(work, tag);
    await testImageBuilder.writeOciLayout(layout, [
      {
        ref: 'app',
        layers: [
          {
            entries: [
              { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
              { name: 'app/build-id', content: `${tag}\n` },
              { name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: lodash }) },
            ],
          },
        ],
      },
    ]);
    const blob = (digest: string) => readFile(path.join(layout, 'blobs', ...digest.split(':')));
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
    const manifestBytes = await blob(index.manifests[0]!.digest);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
    const target = parseRegistryReference(`${repo}:${tag}`);
    for (const d of [manifest.config, ...manifest.layers]) await client.pushBlob(target, await blob(d.digest), d.digest, d.size);
    await client.putManifest(target, tag, manifestBytes, index.manifests[0]!.mediaType);
    return `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`;
  }

  /** A running pod as the kubelet reports it: spec image by tag, status imageID by digest. */
  function pod(namespace: string, name: string, tag: 'a' | 'b' | 'c', owner?: { kind: string; name: string; uid: string }, privileged = false): Record<string, unknown> {
    return {
      kind: 'Pod',
      metadata: { name, namespace, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', ...owner, controller: true }] } : {}) },
      spec: { containers: [{ name: 'app', image: `${repository()}:${tag}`, ...(privileged ? { securityContext: { privileged: true } } : {}) }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', image: `${repository()}:${tag}`, imageID: `docker-pullable://${repository()}@${digests[tag]}`, ready: true, restartCount: 0 }] },
    };
  }

  function deployment(namespace: string, name: string, tag: 'a' | 'b' | 'c'): { deployment: Record<string, unknown>; replicaSet: (uid: string) => Record<string, unknown> } {
    const template = { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: `${repository()}:${tag}` }] } };
    return {
      deployment: { kind: 'Deployment', metadata: { name, namespace }, spec: { selector: { matchLabels: { app: name } }, template } },
      replicaSet: (uid) => ({
        kind: 'ReplicaSet',
        metadata: { name: `${name}-5d`, namespace, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true }] },
        spec: { selector: { matchLabels: { app: name } }, template },
      }),
    };
  }

  async function workloads(filter: Record<string, unknown>, first = 50, after?: string, token?: string): Promise<WorkloadPage> {
    const data = await graphqlData<{ workloads: WorkloadPage }>(
      platform.api.url,
      `query($f: WorkloadFilter, $first: Int, $after: String) { workloads(filter: $f, first: $first, after: $after) { ${PAGE_FIELDS} } }`,
      { f: filter, first, after },
      token ? { token } : {},
    );
    return data.workloads;
  }
  const names = (page: WorkloadPage) => page.edges.map((e) => `${e.node.namespace}/${e.node.kind}/${e.node.name}`);
  const scanTasks = async (): Promise<number> => Number((await platform.db.dataSource.query(`SELECT count(*) AS n FROM task WHERE type = 'scan-image'`))[0].n);

  beforeAll(async () => {
    for (const name of WORKER_ENV) saved[name] = process.env[name];
    process.env['BULKHEAD_SIGNER_MASTER_KEY'] = MASTER_KEY;
    privateRegistry = await startTestRegistry({ mode: 'htpasswd', user: PULL_USER.user, password: PULL_USER.password });
    process.env['BULKHEAD_REGISTRY_ALLOWED_HOSTS'] = `${registry().host},${privateRegistry.host}`;
    process.env['BULKHEAD_REGISTRY_ALLOW_PRIVATE'] = 'true';
    process.env['BULKHEAD_ENABLE_CLUSTER_PULL_SECRETS'] = 'true';
    work = await mkdtemp(path.join(tmpdir(), 'bh-cluster-images-'));
    advisoryFile = path.join(work, 'lodash.jsonl');
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'cluster_img', registry: registryOf(packages), plugins: packages, kinds: ['signer', 'scanner', 'benchmark'],
      // The watch holds one benchmark slot for as long as it runs (as WORKER_CONCURRENCY_BENCHMARK leaves room for in production).
      concurrency: { benchmark: 2 },
      env: { BULKHEAD_SIGNER_MASTER_KEY: MASTER_KEY, BULKHEAD_ENABLE_CLUSTER_PULL_SECRETS: 'true' },
    });
    await importAdvisory('4.17.12');
    const client = new RegistryClient();
    try {
      digests.a = await pushImage(client, 'a', '4.17.11');
      digests.b = await pushImage(client, 'b', '4.17.11');
      digests.c = await pushImage(client, 'c', '4.17.21');
    } finally {
      client.close();
    }
    // B is signed with the team's server key (the trust policy verify-image applies by default).
    const { createSigningKey } = await graphqlData<{ createSigningKey: { id: string } }>(platform.api.url, 'mutation { createSigningKey(name: "release") { id } }');
    await graphqlData(platform.api.url, 'mutation($ref: String!, $key: ID!) { signImage(ref: $ref, keyId: $key) { id } }', { ref: `${repository()}@${digests.b}`, key: createSigningKey.id });
    await settle();

    apiserver = await new StandInApiServer().start();
    for (const [name, tag] of [['web', 'a'], ['api', 'b']] as const) {
      const d = deployment('shop', name, tag);
      const stored = apiserver.put(d.deployment);
      const rs = apiserver.put(d.replicaSet((stored['metadata'] as { uid: string }).uid));
      apiserver.put(pod('shop', `${name}-5d-x1`, tag, { kind: 'ReplicaSet', name: `${name}-5d`, uid: (rs['metadata'] as { uid: string }).uid }));
    }
    apiserver.put(pod('shop', 'batch', 'c'));
    apiserver.put(pod('ops', 'tool', 'a', undefined, true));
    // The real watch: it lists, stores the inventory and asks for the scans of what runs.
    kubeconfigFile = path.join(work, 'kubeconfig.json');
    await writeFile(kubeconfigFile, standInKubeconfig(apiserver, { token: 'valid-token' }), { mode: 0o600 });
    const { submitTask } = await graphqlData<{ submitTask: { id: string } }>(platform.api.url, 'mutation($i: JSON!) { submitTask(kind: BENCHMARK, type: "watch-cluster", input: $i) { id } }', { i: { cluster: CLUSTER, kubeconfig: kubeconfigFile } });
    watchTaskId = submitTask.id;
    await until(async () => Number((await platform.db.dataSource.query(`SELECT count(*) AS n FROM task WHERE type = 'scan-cluster-images'`))[0].n) > 0, 'the watch to ask for image scans');
    await settle();
  });

  afterAll(async () => {
    if (watchTaskId) await graphqlData(platform.api.url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: watchTaskId }).catch(() => undefined);
    await apiserver?.stop();
    await platform?.stop();
    await privateRegistry?.stop();
    for (const name of WORKER_ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('scans each running digest once (scanner from the registry, signer verification) and links it to the stored image', async () => {
    // Asked for by the watch (a child of the watch task), not by this test.
    const [planner] = await platform.db.dataSource.query(`SELECT status, result, parent_task_id FROM task WHERE type = 'scan-cluster-images' ORDER BY created_at LIMIT 1`);
    // A runs in two pods (web, tool): three digests, three flows, three scans.
    expect(planner).toMatchObject({ status: 'SUCCEEDED', result: { seen: 3, queued: 3, next: null }, parent_task_id: watchTaskId });
    expect(await scanTasks()).toBe(3);
    const rows: { manifest_digest: string; image_id: string | null; scan_status: string; verify_status: string }[] = await platform.db.dataSource.query(
      'SELECT manifest_digest, image_id, scan_status, verify_status FROM cluster_image ORDER BY manifest_digest',
    );
    expect(rows.map((r) => r.manifest_digest).sort()).toEqual(Object.values(digests).sort());
    for (const row of rows) expect(row).toMatchObject({ image_id: expect.stringMatching(/^sha256:/), scan_status: 'SUCCEEDED', verify_status: 'SUCCEEDED' });
    // Planned again (a relist): nothing new is queued.
    await graphqlData(platform.api.url, 'mutation($i: JSON!) { submitTask(kind: BENCHMARK, type: "scan-cluster-images", input: $i) { id } }', { i: { cluster: CLUSTER } });
    await settle();
    expect(await scanTasks()).toBe(3);
  });

  it('answers "running workloads with CVE-X whose image has no valid signature", with counts and pages', async () => {
    const filter = { vulnerability: CVE, signed: false };
    const first = await workloads(filter, 1);
    expect(first.totalCount).toBe(2);
    expect(names(first)).toEqual(['ops/Pod/tool']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await workloads(filter, 1, first.pageInfo.endCursor ?? undefined);
    expect(names(second)).toEqual(['shop/Deployment/web']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect(second.totalCount).toBe(2);
    // The Deployment runs its pod's image: digest A, scanned, not signed.
    expect(second.edges[0]?.node.images).toContainEqual({ container: 'app', digest: digests.a, imageId: expect.stringMatching(/^sha256:/), scanStatus: 'SUCCEEDED', signed: false });

    expect(names(await workloads({ vulnerability: CVE, signed: true }))).toEqual(['shop/Deployment/api']);
    expect(names(await workloads({ vulnerability: CVE }))).toEqual(['ops/Pod/tool', 'shop/Deployment/api', 'shop/Deployment/web']);
    expect(names(await workloads({ vulnerability: CVE, signed: false, includeOwned: true }))).toEqual(['ops/Pod/tool', 'shop/Deployment/web', 'shop/Pod/web-5d-x1', 'shop/ReplicaSet/web-5d']);
    expect(names(await workloads({ minSeverity: 'CRITICAL', fixAvailable: true, namespace: 'shop' }))).toEqual(['shop/Deployment/api', 'shop/Deployment/web']);
    expect(names(await workloads({ fixAvailable: false }))).toEqual([]);
    expect(names(await workloads({ signed: false, cluster: CLUSTER }))).toEqual(['ops/Pod/tool', 'shop/Deployment/web', 'shop/Pod/batch']);
    expect(names(await workloads({ podSecurityLevel: 'PRIVILEGED' }))).toEqual(['ops/Pod/tool']);
    expect(names(await workloads({ hasFindingKind: 'SCANNER' }))).toEqual(['ops/Pod/tool', 'shop/Deployment/api', 'shop/Deployment/web']);
    expect((await workloads({})).totalCount).toBe(4);
    expect((await workloads({ cluster: 'staging' })).totalCount).toBe(0);
  });

  it('Image.workloads and Vulnerability.workloads list the workloads running an image', async () => {
    const [row] = await platform.db.dataSource.query('SELECT image_id FROM cluster_image WHERE manifest_digest = $1', [digests.a]);
    const { image } = await graphqlData<{
      image: { workloads: { namespace: string; kind: string; name: string }[]; vulnerabilities: { edges: { node: { advisoryId: string; workloads: { name: string }[] } }[] } };
    }>(platform.api.url, 'query($d: String!) { image(digest: $d) { workloads { namespace kind name } vulnerabilities { edges { node { advisoryId workloads { name } } } } } }', { d: row.image_id });
    expect(image.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}`)).toEqual(['ops/Pod/tool', 'shop/Deployment/web']);
    expect(image.vulnerabilities.edges.map((e) => e.node)).toEqual([{ advisoryId: CVE, workloads: [{ name: 'tool' }, { name: 'web' }] }]);
  });

  it("another team sees none of it; hostile filters and cursors are refused naming the argument", async () => {
    const red = (await platform.createToken('viewer', 'red')).secret;
    expect(await workloads({ vulnerability: CVE }, 50, undefined, red)).toMatchObject({ totalCount: 0, edges: [] });
    const bad = await fetch(`${platform.api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.adminToken}` },
      body: JSON.stringify({ query: '{ workloads(after: "bm90IGEgY3Vyc29y") { totalCount } }' }),
    });
    expect(JSON.stringify(await bad.json())).toContain('after: not a cursor of this connection');
    for (const [filter, first, message] of [
      [{ vulnerability: 'x'.repeat(300) }, 10, 'filter.vulnerability: give a value of 1 to 253 characters without NUL'],
      [{ cluster: '' }, 10, 'filter.cluster: give a value of 1 to 253 characters without NUL'],
      [{}, 501, 'first must be at most 500'],
      [{}, 0, 'first'],
    ] as const) {
      const result = await graphql(platform.api.url, 'query($f: WorkloadFilter, $n: Int) { workloads(filter: $f, first: $n) { totalCount } }', { f: filter, n: first });
      expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0]?.message).toContain(message);
    }
  });

  it('an advisory update re-matches the stored packages: the answer changes and no image is pulled again', async () => {
    await importAdvisory('4.17.5');
    expect((await workloads({ vulnerability: CVE, signed: false })).totalCount).toBe(0);
    expect(await scanTasks()).toBe(3);
    await importAdvisory('4.17.12');
    expect(names(await workloads({ vulnerability: CVE, signed: false }))).toEqual(['ops/Pod/tool', 'shop/Deployment/web']);
    expect(await scanTasks()).toBe(3);
  });

  it("pulls a private image with its workload's imagePullSecrets, read from the cluster at pull time and stored nowhere", async () => {
    const client = new RegistryClient({ credentials: { lookup: async () => ({ username: PULL_USER.user, password: PULL_USER.password }) } });
    const privateRepo = `${privateRegistry.host}/team/private`;
    const digest = { d: '', e: '' };
    try {
      digest.d = await pushImage(client, 'd', '4.17.11', privateRepo);
      digest.e = await pushImage(client, 'e', '4.17.21', privateRepo);
    } finally {
      client.close();
    }
    const dockerconfig = JSON.stringify({ auths: { [privateRegistry.host]: { auth: Buffer.from(`${PULL_USER.user}:${PULL_USER.password}`).toString('base64') } } });
    apiserver.putSecret('vault-apps', 'regcred', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': dockerconfig });
    const privatePod = (name: string, tag: 'd' | 'e', secrets: string[]) => ({
      kind: 'Pod',
      metadata: { name, namespace: 'vault-apps' },
      spec: { imagePullSecrets: secrets.map((s) => ({ name: s })), containers: [{ name: 'app', image: `${privateRepo}:${tag}` }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', image: `${privateRepo}:${tag}`, imageID: `${privateRepo}@${digest[tag]}`, ready: true, restartCount: 0 }] },
    });
    apiserver.put(privatePod('with-secret', 'd', ['regcred']));
    apiserver.put(privatePod('without-secret', 'e', []));
    // The watch stores the new pods (their running digests) from its watch events.
    await until(
      async () => Number((await platform.db.dataSource.query(`SELECT count(*) AS n FROM cluster_workload_image WHERE digest = ANY($1)`, [[digest.d, digest.e]]))[0].n) === 2,
      'the watch to store the private pods',
    );
    const kubeconfig = kubeconfigFile;
    await graphqlData(platform.api.url, 'mutation($i: JSON!) { submitTask(kind: BENCHMARK, type: "scan-cluster-images", input: $i) { id } }', { i: { cluster: CLUSTER, pullSecrets: { kubeconfig } } });
    // The flows' children fail for the image no secret opens: settle by the flows, not by every task.
    const deadline = Date.now() + 120_000;
    let rows: { manifest_digest: string; scan_status: string; scan_error: string | null; verify_status: string | null }[] = [];
    while (Date.now() < deadline) {
      rows = await platform.db.dataSource.query('SELECT manifest_digest, scan_status, scan_error, verify_status FROM cluster_image WHERE manifest_digest = ANY($1) AND scanned_at IS NOT NULL', [[digest.d, digest.e]]);
      if (rows.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const byDigest = new Map(rows.map((r) => [r.manifest_digest, r]));
    expect(byDigest.get(digest.d)).toMatchObject({ scan_status: 'SUCCEEDED', verify_status: 'SUCCEEDED' });
    expect(byDigest.get(digest.e)).toMatchObject({ scan_status: 'FAILED', scan_error: expect.stringMatching(/401|credentials|unauthori[sz]ed/i) });
    // The private image answers the correlated query like any other.
    expect(names(await workloads({ vulnerability: CVE, namespace: 'vault-apps' }))).toEqual(['vault-apps/Pod/with-secret']);
    // The secret is in no task input or result, no plugin table and no stored finding.
    const leaks = await platform.db.dataSource.query(
      `SELECT 'task' AS t FROM task WHERE input::text LIKE $1 OR result::text LIKE $1 OR coalesce(error, '') LIKE $1
       UNION ALL SELECT 'cluster_image' FROM cluster_image WHERE row_to_json(cluster_image)::text LIKE $1
       UNION ALL SELECT 'cluster_pull_access' FROM cluster_pull_access WHERE row_to_json(cluster_pull_access)::text LIKE $1
       UNION ALL SELECT 'cluster_workload' FROM cluster_workload WHERE row_to_json(cluster_workload)::text LIKE $1
       UNION ALL SELECT 'finding' FROM finding WHERE data::text LIKE $1`,
      [`%${PULL_USER.password}%`],
    );
    expect(leaks).toEqual([]);
  });
});
