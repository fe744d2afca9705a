import type { ApiHandle } from '@bulkhead/api';
import { authHeaders, graphql, graphqlData, startTestPlatform, subscriptionClient, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { testImages } from '@bulkhead/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findingSubscribers, untilSubscribed } from './runtime/testing';

/*
 * Team (tenant) scoping end to end: the real API (built-in plugins' api entries: benchmark
 * runs, runtime alerts) and a real worker against real Postgres and Redis. Two teams, red and
 * blue, do the same work; each sees only its own images, packages, tasks, findings, benchmark
 * runs and alerts through every query, mutation, subscription and ingest route, and the same
 * work is stored once per team. Each team sends its own API token (role operator).
 */

jest.setTimeout(120_000);

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

const ALERT = {
  hostname: 'node-7',
  output: 'Warning Sensitive file opened for reading by non-trusted program (file=/etc/shadow container_id=3ad2d2e7c2f1)',
  priority: 'Warning',
  rule: 'Read sensitive file untrusted',
  source: 'syscall',
  tags: ['filesystem'],
  time: '2024-05-02T10:20:05.408091526Z',
  output_fields: { 'container.id': '3ad2d2e7c2f1', 'k8s.ns.name': 'payments' },
};

interface TaskNode {
  id: string;
  status: string;
  image: { digest: string } | null;
}

describe('team scoping (two teams, real API, worker, Postgres and Redis)', () => {
  const tokens: Record<string, string> = {};
  const images = testImages();
  let platform: TestPlatform;
  let api: ApiHandle;
  let manifests: string;

  /** The API token of `team`. */
  const token = (team: string): { token: string } => {
    const secret = tokens[team];
    if (!secret) throw new Error(`no token for team ${team}`);
    return { token: secret };
  };
  const query = <T>(team: string, text: string, variables: Record<string, unknown> = {}) => graphqlData<T>(api.url, text, variables, token(team));
  const errorOf = async (team: string, text: string, variables: Record<string, unknown> = {}) => {
    const result = await graphql(api.url, text, variables, token(team));
    return { code: result.errors?.[0]?.extensions?.['code'], message: result.errors?.[0]?.message, data: result.data };
  };
  async function finished(team: string, id: string): Promise<TaskNode> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const { task } = await query<{ task: TaskNode | null }>(team, 'query($id: ID!) { task(id: $id) { id status image { digest } } }', { id });
      if (task && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) return task;
      if (Date.now() > deadline) throw new Error(`task ${id} of ${team} did not finish: ${JSON.stringify(task)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    manifests = await mkdtemp(path.join(tmpdir(), 'bh-api-teams-'));
    await writeFile(path.join(manifests, 'pod.yaml'), PRIVILEGED_POD);
    const plugins = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'api_teams', registry: registryOf(plugins), plugins, kinds: ['scanner', 'benchmark'] });
    api = platform.api;
    for (const team of ['red', 'blue', 'green']) tokens[team] = (await platform.createToken('operator', team)).secret;
  });

  afterAll(async () => {
    await platform?.stop();
    if (manifests) await rm(manifests, { recursive: true, force: true });
  });

  const source = () => `oci:${images.tinyOciLayout}:${images.tinyOciRef}`;
  const scan = (team: string) => query<{ scanImage: { id: string } }>(team, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: source() }).then((r) => r.scanImage.id);
  const bench = (team: string) =>
    query<{ runBenchmark: { id: string } }>(team, 'mutation($t: String!) { runBenchmark(target: $t, profile: "pss-restricted") { id } }', { t: manifests }).then((r) => r.runBenchmark.id);

  let red: { scan: TaskNode; bench: TaskNode };
  let blue: { scan: TaskNode; bench: TaskNode };

  it('the same image scanned and the same benchmark run by two teams are two tasks, two images and two sets of findings', async () => {
    const redScan = await scan('red');
    const blueScan = await scan('blue'); // the same request: deduplicated per team only
    expect(blueScan).not.toBe(redScan);
    const [redBench, blueBench] = [await bench('red'), await bench('blue')];
    red = { scan: await finished('red', redScan), bench: await finished('red', redBench) };
    blue = { scan: await finished('blue', blueScan), bench: await finished('blue', blueBench) };
    for (const task of [red.scan, red.bench, blue.scan, blue.bench]) expect(task.status).toBe('SUCCEEDED');
    expect(red.scan.image?.digest).toBe(images.tinyConfigDigest);
    expect(blue.scan.image?.digest).toBe(images.tinyConfigDigest);

    const db = platform.db.dataSource;
    const perTeam = async (table: string) =>
      Object.fromEntries(((await db.query(`SELECT team, count(*)::int AS n FROM ${table} GROUP BY team`)) as { team: string; n: number }[]).map((r) => [r.team, r.n]));
    expect(await perTeam('artifact')).toEqual({ red: 1, blue: 1 });
    const packages = await perTeam('package');
    expect(packages['red']).toBeGreaterThan(0);
    expect(packages['blue']).toBe(packages['red']);
    expect(await perTeam('benchmark_run')).toEqual({ red: 1, blue: 1 });
    // The same finding (target, fingerprint) in two teams: two rows.
    const twice: { n: number }[] = await db.query(`SELECT count(DISTINCT team)::int AS n FROM finding GROUP BY target, fingerprint`);
    expect(twice.length).toBeGreaterThan(0);
    expect(twice.every((r) => r.n === 2)).toBe(true);
  });

  it('no query of one team returns another team’s images, packages, tasks, findings or benchmark runs', async () => {
    const digest = images.tinyConfigDigest;
    for (const [team, own, other] of [
      ['red', red, blue],
      ['blue', blue, red],
    ] as const) {
      // task(id), tasks, Task.image
      expect((await query<{ task: unknown }>(team, 'query($id: ID!) { task(id: $id) { id } }', { id: other.scan.id })).task).toBeNull();
      expect((await query<{ task: unknown }>(team, 'query($id: ID!) { task(id: $id) { id } }', { id: other.bench.id })).task).toBeNull();
      const { tasks } = await query<{ tasks: { totalCount: number; edges: { node: { id: string } }[] } }>(team, '{ tasks(first: 100) { totalCount edges { node { id } } } }');
      expect(tasks.edges.map((e) => e.node.id).sort()).toEqual([own.scan.id, own.bench.id].sort());
      expect(tasks.totalCount).toBe(2);
      // image(digest) by config and manifest digest, Image.tasks, Image.packages
      for (const d of [digest, images.tinyManifestDigest]) {
        const { image } = await query<{ image: { digest: string; tasks: { totalCount: number; edges: { node: { id: string } }[] }; packages: { totalCount: number } } | null }>(
          team,
          'query($d: String!) { image(digest: $d) { digest tasks(first: 10) { totalCount edges { node { id } } } packages(first: 500) { totalCount } } }',
          { d },
        );
        expect(image?.digest).toBe(digest);
        expect(image?.tasks.edges.map((e) => e.node.id)).toEqual([own.scan.id]);
        expect(image?.packages.totalCount).toBeGreaterThan(0);
      }
      // findings (every filter), benchmarkRun(id), benchmarkRuns
      const { findings } = await query<{ findings: { totalCount: number; edges: { node: { id: string; taskId: string } }[] } }>(
        team,
        '{ findings(first: 500) { totalCount edges { node { id taskId } } } }',
      );
      expect(findings.totalCount).toBeGreaterThan(0);
      expect(findings.edges.every((e) => e.node.taskId === own.bench.id)).toBe(true);
      const byOtherTask = await query<{ findings: { totalCount: number } }>(team, 'query($t: ID) { findings(filter: { taskId: $t }) { totalCount } }', { t: other.bench.id });
      expect(byOtherTask.findings.totalCount).toBe(0);
      expect((await query<{ benchmarkRun: unknown }>(team, 'query($id: ID!) { benchmarkRun(id: $id) { id } }', { id: other.bench.id })).benchmarkRun).toBeNull();
      const { benchmarkRuns } = await query<{ benchmarkRuns: { totalCount: number; edges: { node: { id: string; profile: string } }[] } }>(
        team,
        '{ benchmarkRuns(first: 10) { totalCount edges { node { id profile } } } }',
      );
      expect(benchmarkRuns.edges.map((e) => e.node)).toEqual([{ id: own.bench.id, profile: 'pss-restricted' }]);
      expect(benchmarkRuns.totalCount).toBe(1);
    }
    // A team that did nothing sees nothing at all.
    const empty = await query<{
      image: unknown;
      tasks: { totalCount: number };
      findings: { totalCount: number };
      benchmarkRuns: { totalCount: number };
      alerts: { totalCount: number };
    }>('green', 'query($d: String!) { image(digest: $d) { digest } tasks { totalCount } findings { totalCount } benchmarkRuns { totalCount } alerts { totalCount } }', { d: digest });
    expect(empty).toEqual({ image: null, tasks: { totalCount: 0 }, findings: { totalCount: 0 }, benchmarkRuns: { totalCount: 0 }, alerts: { totalCount: 0 } });
  });

  it('mutations on another team’s rows are NOT_FOUND, as for ids that exist nowhere', async () => {
    const nowhere = '00000000-0000-4000-8000-000000000000';
    const cancel = 'mutation($id: ID!) { cancelTask(id: $id) { id status } }';
    const foreign = await errorOf('blue', cancel, { id: red.scan.id });
    const missing = await errorOf('blue', cancel, { id: nowhere });
    expect(foreign.code).toBe('NOT_FOUND');
    expect(foreign.message?.replace(red.scan.id, nowhere)).toBe(missing.message);
    // (Red itself is told its finished task cannot be cancelled: the row is red's.)
    expect((await errorOf('red', cancel, { id: red.scan.id })).code).toBe('TASK_FINISHED');

    const { findings } = await query<{ findings: { edges: { node: { id: string } }[] } }>('red', '{ findings(first: 1) { edges { node { id } } } }');
    const redFinding = findings.edges[0]?.node.id ?? '';
    const suppress = await errorOf('blue', 'mutation($id: ID!) { suppressFinding(id: $id) { id } }', { id: redFinding });
    expect(suppress.code).toBe('NOT_FOUND');
    const statuses: { status: string }[] = await platform.db.dataSource.query(`SELECT status::text FROM finding WHERE id = $1`, [redFinding]);
    expect(statuses).toEqual([{ status: 'OPEN' }]);

    // A task of another team is no parent.
    const child = await errorOf('blue', 'mutation($p: ID!, $i: JSON!) { submitTask(kind: BENCHMARK, type: "k8s-manifests", input: $i, parentTaskId: $p) { id } }', {
      p: red.bench.id,
      i: { paths: [manifests] },
    });
    expect(child.code).toBe('BAD_USER_INPUT');
    expect(child.message).toMatch(/does not exist/);
  });

  it('taskUpdated of another team’s task is NOT_FOUND', async () => {
    const ws = subscriptionClient(api.url, token('blue'));
    try {
      const error = await new Promise<unknown>((resolve) => {
        ws.subscribe({ query: 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', variables: { id: red.scan.id } }, { next: (r) => resolve(r.errors?.[0] ?? r), error: resolve, complete: () => resolve('completed') });
      });
      expect(error).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    } finally {
      await ws.dispose();
    }
  });

  it('an ingested alert is stored under the sender’s team; alerts and alertRaised of another team never show it', async () => {
    const clients = { red: subscriptionClient(api.url, token('red')), blue: subscriptionClient(api.url, token('blue')) };
    const heard: Record<string, string[]> = { red: [], blue: [] };
    try {
      for (const team of ['blue', 'red'] as const) {
        const before = await findingSubscribers(platform.db.schema);
        clients[team].subscribe<{ alertRaised: { id: string } }>(
          { query: 'subscription { alertRaised { id } }' },
          { next: (r) => r.data && heard[team]?.push(r.data.alertRaised.id), error: () => undefined, complete: () => undefined },
        );
        // The first subscription opens the replica's one Redis subscription, which then serves both.
        if (before === 0) await untilSubscribed(platform.db.schema, 0);
        else await new Promise((r) => setTimeout(r, 300));
      }
      const send = (team: string) =>
        fetch(`${api.url}/falco-alerts`, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders(api.url, token(team).token) }, body: JSON.stringify(ALERT) }).then(async (r) => ({
          status: r.status,
          body: await r.json(),
        }));
      expect(await send('red')).toEqual({ status: 200, body: expect.objectContaining({ stored: 1 }) });
      const deadline = Date.now() + 10_000;
      while (heard['red']?.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 500)); // anything for blue would have arrived by now
      expect(heard['red']).toHaveLength(1);
      expect(heard['blue']).toEqual([]);

      const alerts = (team: string) => query<{ alerts: { totalCount: number; edges: { node: { id: string } }[] } }>(team, '{ alerts(first: 10) { totalCount edges { node { id } } } }');
      expect((await alerts('red')).alerts.edges.map((e) => e.node.id)).toEqual(heard['red']);
      expect((await alerts('blue')).alerts.totalCount).toBe(0);
      // The same alert sent by blue is blue's own row (and raised to blue only).
      expect(await send('blue')).toEqual({ status: 200, body: expect.objectContaining({ stored: 1 }) });
      const blueAlerts = (await alerts('blue')).alerts.edges.map((e) => e.node.id);
      expect(blueAlerts).toHaveLength(1);
      expect(blueAlerts[0]).not.toBe(heard['red']?.[0]);
      const deadlineBlue = Date.now() + 10_000;
      while (heard['blue']?.length === 0 && Date.now() < deadlineBlue) await new Promise((r) => setTimeout(r, 25));
      expect(heard['blue']).toEqual(blueAlerts);
      expect(heard['red']).toHaveLength(1);
    } finally {
      await Promise.all([clients.red.dispose(), clients.blue.dispose()]);
    }
  });
});
