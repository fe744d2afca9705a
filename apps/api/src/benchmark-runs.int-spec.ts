import type { ApiHandle } from '@bulkhead/api';
import { collectSubscription, graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import type { Client } from 'graphql-ws';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * Benchmark runs (the benchmark plugin's api entry) end to end: the real API loading the
 * built-in packages' api entries and the real worker (in this process, as `bulkhead serve` runs
 * them) against real Postgres and Redis, on manifests written here.
 */


const PRIVILEGED_POD = `apiVersion: v1
kind: Pod
metadata:
  name: priv
  namespace: default
spec:
  containers:
    - name: app
      image: nginx:1.25
      securityContext:
        privileged: true
`;

interface Control {
  id: string;
  title: string;
  status: string;
  severity: string;
  target: string;
  message: string;
  remediation: string | null;
  benchmark: string | null;
  file: string | null;
}

interface Run {
  id: string;
  status: string;
  type: string;
  profile: string | null;
  target: string | null;
  title: string | null;
  summary: { pass: number; fail: number; warn: number; info: number; skip: number; total: number } | null;
  failed: Control[];
  controls: Control[];
  task: { kind: string; input: unknown };
}

const RUN_FIELDS = `id status type profile target title summary { pass fail warn info skip total }
  failed: controls(status: [FAIL]) { id title status severity target message remediation benchmark file }
  controls { id status }
  task { kind input }`;

describe('benchmarks through the API (with a worker)', () => {
  let platform: TestPlatform;
  let api: ApiHandle;
  let ws: Client;
  let manifests: string;

  beforeAll(async () => {
    manifests = await mkdtemp(path.join(tmpdir(), 'bh-api-bench-'));
    await writeFile(path.join(manifests, 'pod.yaml'), PRIVILEGED_POD);
    const plugins = builtinPluginPackages().filter((pkg) => pkg.plugin.manifest.kind === 'benchmark');
    platform = await startTestPlatform({ label: 'api_bench', registry: registryOf(plugins), plugins, kinds: ['benchmark'] });
    ({ api, ws } = platform);
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(manifests, { recursive: true, force: true });
  });

  it('rejects an unknown profile with BAD_USER_INPUT listing the profiles', async () => {
    const result = await graphql(api.url, 'mutation { runBenchmark(target: "/tmp", profile: "pss-strict") { id } }');
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/unknown benchmark profile "pss-strict" \(available: .*pss-baseline, pss-restricted/);
    const badVersion = await graphql(api.url, 'mutation { runBenchmark(target: "/tmp", profile: "pss-restricted@1.30") { id } }');
    expect(badVersion.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('runs pss-restricted on a privileged pod: SUCCEEDED, FAIL controls with upstream PSS ids, findings stored', async () => {
    const { runBenchmark } = await graphqlData<{ runBenchmark: { id: string; kind: string; type: string; status: string } }>(
      api.url,
      'mutation($target: String!) { runBenchmark(target: $target, profile: "pss-restricted") { id kind type status } }',
      { target: manifests },
    );
    expect(runBenchmark).toMatchObject({ kind: 'BENCHMARK', type: 'k8s-manifests' });

    const updates = await collectSubscription<{ taskUpdated: { status: string } }>(ws, 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', { id: runBenchmark.id }, { timeoutMs: 60_000 });
    expect(updates.at(-1)?.taskUpdated.status).toBe('SUCCEEDED');

    const { benchmarkRun } = await graphqlData<{ benchmarkRun: Run }>(api.url, `query($id: ID!) { benchmarkRun(id: $id) { ${RUN_FIELDS} } }`, { id: runBenchmark.id });
    expect(benchmarkRun).toMatchObject({ id: runBenchmark.id, status: 'SUCCEEDED', type: 'k8s-manifests', profile: 'pss-restricted', target: manifests, task: { kind: 'BENCHMARK' } });
    expect(benchmarkRun.title).toBeTruthy();
    // The request is stored by the plugin (its own table, made by its migration), not searched for.
    const stored: unknown[] = await platform.db.dataSource.query('SELECT profile, target FROM benchmark_run WHERE task_id = $1', [runBenchmark.id]);
    expect(stored).toEqual([{ profile: 'pss-restricted', target: manifests }]);
    const summary = benchmarkRun.summary;
    expect(summary?.fail).toBeGreaterThan(0);
    expect(summary?.total).toBe(benchmarkRun.controls.length);
    expect(benchmarkRun.failed).toHaveLength(summary?.fail ?? -1);
    expect(benchmarkRun.failed.every((c) => c.status === 'FAIL')).toBe(true);
    // Upstream pod-security-admission check ids.
    const failedIds = benchmarkRun.failed.map((c) => c.id);
    expect(failedIds).toEqual(expect.arrayContaining(['privileged', 'allowPrivilegeEscalation', 'runAsNonRoot', 'seccompProfile_restricted', 'capabilities_restricted']));
    const privileged = benchmarkRun.failed.find((c) => c.id === 'privileged');
    expect(privileged).toMatchObject({ target: 'Pod/default/priv', title: 'Privileged Containers', severity: expect.any(String), benchmark: expect.stringContaining('pss-restricted') });
    expect(privileged?.message).toMatch(/privileged/);

    const { findings } = await graphqlData<{ findings: { totalCount: number; edges: { node: { kind: string; ruleId: string; target: string } }[] } }>(
      api.url,
      'query($taskId: ID) { findings(filter: { kind: BENCHMARK, taskId: $taskId }, first: 100) { totalCount edges { node { kind ruleId target } } } }',
      { taskId: runBenchmark.id },
    );
    expect(findings.totalCount).toBe((summary?.fail ?? 0) + (summary?.warn ?? 0));
    expect(findings.edges.map((e) => e.node.ruleId)).toEqual(expect.arrayContaining(['privileged', 'runAsNonRoot']));
    expect(findings.edges.every((e) => e.node.kind === 'BENCHMARK' && e.node.target === 'Pod/default/priv')).toBe(true);

    const { benchmarkRuns } = await graphqlData<{ benchmarkRuns: { totalCount: number; edges: { node: { id: string; profile: string; summary: { fail: number } } }[] } }>(
      api.url,
      '{ benchmarkRuns(first: 10) { totalCount edges { node { id profile summary { fail } } } } }',
    );
    expect(benchmarkRuns.totalCount).toBe(1);
    expect(benchmarkRuns.edges[0]?.node).toEqual({ id: runBenchmark.id, profile: 'pss-restricted', summary: { fail: summary?.fail } });
  });

  it('benchmarkRun is null for an unknown id and BAD_USER_INPUT for a malformed one', async () => {
    const { benchmarkRun } = await graphqlData<{ benchmarkRun: null }>(api.url, '{ benchmarkRun(id: "00000000-0000-4000-8000-000000000000") { id } }');
    expect(benchmarkRun).toBeNull();
    const bad = await graphql(api.url, '{ benchmarkRun(id: "nope") { id } }');
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});
