import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * The finding lifecycle end to end: real benchmark runs (k8s manifests, Pod Security Standards)
 * on the real worker, read back through GraphQL. A finding the next run over the same manifests
 * no longer reports is RESOLVED; when it comes back it is OPEN and `reopened`.
 */

const pod = (name: string, securityContext: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: shop
spec:
  containers:
    - name: app
      image: nginx:1.25
${securityContext}`;
const PRIVILEGED = '      securityContext:\n        privileged: true\n';
const FIXED = '      securityContext:\n        privileged: false\n';
const HOST_PORT = '      ports:\n        - containerPort: 80\n          hostPort: 80\n';

interface Finding {
  id: string;
  ruleId: string;
  target: string;
  status: string;
  resolvedAt: string | null;
  reopened: boolean;
  reopenedAt: string | null;
  taskId: string;
}

const FINDING = 'id ruleId target status resolvedAt reopened reopenedAt taskId';

describe('finding lifecycle through benchmark reruns', () => {
  let platform: TestPlatform;
  let url: string;
  let manifests: string;

  beforeAll(async () => {
    manifests = await mkdtemp(path.join(tmpdir(), 'bh-lifecycle-'));
    const plugins = builtinPluginPackages().filter((pkg) => pkg.plugin.manifest.kind === 'benchmark');
    platform = await startTestPlatform({ label: 'api_lifecycle', registry: registryOf(plugins), plugins, kinds: ['benchmark'] });
    url = platform.api.url;
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(manifests, { recursive: true, force: true });
  });

  /** Writes the two pods, runs the PSS benchmark over the directory and waits for it. */
  async function benchmark(privileged: boolean): Promise<string> {
    await writeFile(path.join(manifests, 'priv.yaml'), pod('priv', privileged ? PRIVILEGED : FIXED));
    await writeFile(path.join(manifests, 'web.yaml'), pod('web', HOST_PORT));
    const { submitTask } = await graphqlData<{ submitTask: { id: string } }>(
      url,
      'mutation($input: JSON!) { submitTask(kind: BENCHMARK, type: "k8s-manifests", input: $input) { id } }',
      { input: { paths: [manifests], checks: ['pss'] } },
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { task } = await graphqlData<{ task: { status: string; error: string | null } }>(url, 'query($id: ID!) { task(id: $id) { status error } }', { id: submitTask.id });
      if (task.status === 'SUCCEEDED') return submitTask.id;
      if (task.status === 'FAILED' || task.status === 'CANCELLED' || Date.now() > deadline) throw new Error(`benchmark task ${submitTask.id}: ${task.status} ${task.error ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function findings(status?: string): Promise<Finding[]> {
    const { findings } = await graphqlData<{ findings: { edges: { node: Finding }[] } }>(
      url,
      `query($filter: FindingFilter) { findings(filter: $filter, first: 500) { edges { node { ${FINDING} } } } }`,
      { filter: { kind: 'BENCHMARK', ...(status ? { status } : {}) } },
    );
    return findings.edges.map((e) => e.node);
  }

  const privilegedOf = (list: Finding[]) => list.find((f) => f.ruleId === 'privileged' && f.target.includes('priv'));
  const hostPortOf = (list: Finding[]) => list.find((f) => f.ruleId === 'hostPorts' && f.target.includes('web'));

  it('resolves a fixed finding, reopens it when it comes back, and keeps a suppressed one suppressed', async () => {
    const first = await benchmark(true);
    const open = await findings('OPEN');
    const privileged = privilegedOf(open);
    const hostPort = hostPortOf(open);
    expect(privileged).toMatchObject({ status: 'OPEN', resolvedAt: null, reopened: false, taskId: first });
    expect(hostPort).toMatchObject({ status: 'OPEN', reopened: false });

    // Suppress web's host port: reruns keep it suppressed whether or not they report it.
    const { suppressFinding } = await graphqlData<{ suppressFinding: Finding }>(url, `mutation($id: ID!) { suppressFinding(id: $id) { ${FINDING} } }`, { id: hostPort?.id });
    expect(suppressFinding.status).toBe('SUPPRESSED');

    // The fix: the rerun over the same manifests no longer reports the privileged container.
    const second = await benchmark(false);
    const resolved = privilegedOf(await findings('RESOLVED'));
    expect(resolved).toMatchObject({ id: privileged?.id, status: 'RESOLVED', reopened: false, taskId: first });
    expect(Date.parse(resolved?.resolvedAt ?? '')).not.toBeNaN();
    expect(privilegedOf(await findings('OPEN'))).toBeUndefined();
    expect(hostPortOf(await findings('SUPPRESSED'))).toMatchObject({ id: hostPort?.id, taskId: second });

    // The regression: it comes back, the same finding, OPEN again and visibly reopened.
    const third = await benchmark(true);
    const reopened = privilegedOf(await findings('OPEN'));
    expect(reopened).toMatchObject({ id: privileged?.id, status: 'OPEN', resolvedAt: null, reopened: true, taskId: third });
    expect(Date.parse(reopened?.reopenedAt ?? '')).not.toBeNaN();
    expect(hostPortOf(await findings('SUPPRESSED'))?.id).toBe(hostPort?.id);
    expect(privilegedOf(await findings('RESOLVED'))).toBeUndefined();

    const { unsuppressFinding } = await graphqlData<{ unsuppressFinding: Finding }>(url, `mutation($id: ID!) { unsuppressFinding(id: $id) { status } }`, { id: hostPort?.id });
    expect(unsuppressFinding.status).toBe('OPEN');
  }, 120_000);

  it('answers NOT_FOUND and BAD_USER_INPUT for a finding that cannot be suppressed', async () => {
    const missing = await graphql(url, 'mutation { suppressFinding(id: "00000000-0000-4000-8000-000000000000") { id } }');
    expect(missing.errors?.[0]).toMatchObject({ message: 'finding 00000000-0000-4000-8000-000000000000 does not exist', extensions: { code: 'NOT_FOUND' } });
    const bad = await graphql(url, 'mutation { suppressFinding(id: "x\' OR 1=1") { id } }');
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const badStatus = await graphql(url, '{ findings(filter: { status: CLOSED }) { totalCount } }');
    expect(badStatus.errors?.[0]?.message).toMatch(/CLOSED/);
  });
});
