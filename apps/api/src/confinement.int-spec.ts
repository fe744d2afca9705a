import type { ApiHandle } from '@bulkhead/api';
import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { ServerInputPolicy } from '@bulkhead/queue';
import { startWorker } from '@bulkhead/worker';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * Confined server-side inputs (issue 8 parts 2 and 3) over the API, with the real API and worker:
 * paths only under BULKHEAD_ALLOWED_PATHS (symlinks resolved), no client-given kube-bench control
 * folder, node benchmarks only when turned on, and a hostile --root name that runs nothing.
 */
jest.setTimeout(60_000);

const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: nginx:1.25\n';

/** A kube-bench cfg folder whose one audit runs `audit`. */
function plantCfg(dir: string, audit: string): string {
  const cfgDir = path.join(dir, 'cfg');
  mkdirSync(path.join(cfgDir, 'cis-test'), { recursive: true });
  writeFileSync(path.join(cfgDir, 'config.yaml'), 'target_mapping:\n  cis-test: [node]\nnode:\n  components: []\n');
  writeFileSync(
    path.join(cfgDir, 'cis-test', 'node.yaml'),
    `controls:\nversion: cis-test\nid: 4\ntext: Worker Node\ntype: node\ngroups:\n- id: "4.1"\n  text: files\n  checks:\n  - id: 4.1.1\n    text: probe\n    audit: ${JSON.stringify(audit)}\n    tests:\n      test_items:\n      - flag: "600"\n        set: true\n    scored: true\n`,
  );
  return cfgDir;
}

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
let policy: ServerInputPolicy;
let registry: ReturnType<typeof registryOf>;
let platform: TestPlatform;
let api: ApiHandle;
let dir = '';
let allowed = '';
let outside = '';
let cwd = '';
const settings: Record<string, string | undefined> = { BULKHEAD_ENABLE_NODE_BENCHMARKS: 'true' };
const savedCfg = process.env['BULKHEAD_KUBE_BENCH_CFG'];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-confine-'));
  allowed = path.join(dir, 'allowed');
  outside = path.join(dir, 'outside');
  mkdirSync(allowed);
  mkdirSync(outside);
  writeFileSync(path.join(allowed, 'pod.yaml'), POD);
  writeFileSync(path.join(outside, 'pod.yaml'), POD);
  symlinkSync(outside, path.join(allowed, 'link'));
  // The operator's trusted control files (the worker reads BULKHEAD_KUBE_BENCH_CFG).
  process.env['BULKHEAD_KUBE_BENCH_CFG'] = plantCfg(path.join(dir, 'trusted'), 'stat -c %a /etc/kubernetes/kubelet.conf');
  // An injected `touch PWNED` would land in the worker's working directory.
  cwd = process.cwd();
  process.chdir(dir);
  const plugins = builtinPluginPackages();
  platform = await startTestPlatform({
    label: 'api_confine',
    registry: (registry = registryOf(plugins)),
    plugins,
    // No runtime worker here: runtime tasks stay queued until a test starts one.
    kinds: ['benchmark', 'scanner'],
    inputs: (policy = new ServerInputPolicy({ allowedPaths: [allowed], settings })),
  });
  ({ api } = platform);
});

afterAll(async () => {
  await platform?.stop();
  process.chdir(cwd);
  if (savedCfg === undefined) delete process.env['BULKHEAD_KUBE_BENCH_CFG'];
  else process.env['BULKHEAD_KUBE_BENCH_CFG'] = savedCfg;
  rmSync(dir, { recursive: true, force: true });
});

async function refused(query: string, variables: Record<string, unknown>, message: RegExp): Promise<void> {
  const result = await graphql(api.url, query, variables);
  expect(result.data ?? null).toBeNull();
  expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  expect(result.errors?.[0]?.message).toMatch(message);
}

const RUN = 'mutation($target: String!, $profile: String!) { runBenchmark(target: $target, profile: $profile) { id } }';
const SUBMIT = 'mutation($input: JSON!) { submitTask(kind: BENCHMARK, type: "kube-bench", input: $input) { id } }';

async function statusOf(id: string): Promise<{ status: string; error: string | null }> {
  for (let i = 0; i < 200; i++) {
    const { task } = await graphqlData<{ task: { status: string; error: string | null } }>(api.url, 'query($id: ID!) { task(id: $id) { status error } }', { id });
    if (!['QUEUED', 'RUNNING'].includes(task.status)) return task;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${id} did not finish`);
}

describe('confined server-side inputs over the API', () => {
  it('refuses rootfs:/, /etc and a path reached through a symlink out of the allowed folder; accepts one inside', async () => {
    await refused('mutation($s: String!) { scanImage(source: $s) { id } }', { s: 'rootfs:/' }, /source: "\/" is outside the folders this server allows \(BULKHEAD_ALLOWED_PATHS\)/);
    await refused(RUN, { target: '/etc', profile: 'k8s-rbac' }, /paths\.0: "\/etc" is outside/);
    const image = 'mutation($input: JSON!) { submitTask(kind: BENCHMARK, type: "image-config", input: $input) { id } }';
    await refused(image, { input: { reference: 'rootfs:/' } }, /^reference: "\/" is outside/);
    await refused(image, { input: { configPath: '/etc/shadow' } }, /^configPath: "\/etc\/shadow" is outside/);
    const dockerfile = 'mutation($input: JSON!) { submitTask(kind: BENCHMARK, type: "dockerfile", input: $input) { id } }';
    await refused(dockerfile, { input: { path: path.join(allowed, 'link', 'pod.yaml') } }, /^path: .* leads \(through a symbolic link\) outside/);
    await refused(RUN, { target: path.join(allowed, 'link', 'pod.yaml'), profile: 'pss-baseline' }, /leads \(through a symbolic link\) outside/);
    await refused(RUN, { target: path.join(allowed, '..', 'outside', 'pod.yaml'), profile: 'pss-baseline' }, /is outside/);
    const { runBenchmark } = await graphqlData<{ runBenchmark: { id: string } }>(api.url, RUN, { target: path.join(allowed, 'pod.yaml'), profile: 'pss-baseline' });
    expect((await statusOf(runBenchmark.id)).status).toBe('SUCCEEDED');
  });

  it('refuses a client-given control-file folder, and its audit never runs', async () => {
    const attacker = plantCfg(path.join(allowed, 'attacker'), `touch ${path.join(dir, 'PWNED-cfg')}`);
    await refused(SUBMIT, { input: { benchmark: 'cis-test', cfgDir: attacker, targets: ['node'] } }, /cfgDir: not accepted from clients on a server/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(path.join(dir, 'PWNED-cfg'))).toBe(false);
  });

  it.each(['x;touch PWNED;y', '$(touch PWNED)'])('a node root named %j runs nothing through the API', async (name) => {
    const root = path.join(allowed, name);
    mkdirSync(path.join(root, 'etc/kubernetes'), { recursive: true });
    writeFileSync(path.join(root, 'etc/kubernetes/kubelet.conf'), 'x', { mode: 0o600 });
    const { submitTask } = await graphqlData<{ submitTask: { id: string } }>(api.url, SUBMIT, { input: { benchmark: 'cis-test', root, targets: ['node'] } });
    expect(await statusOf(submitTask.id)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });

  it('refuses runtime rules from clients (the worker uses the operator\'s BULKHEAD_RUNTIME_RULES) and event files outside the allowed folders', async () => {
    const evaluate = 'mutation($input: JSON!) { submitTask(kind: RUNTIME, type: "evaluate-events", input: $input) { id } }';
    await refused(evaluate, { input: { rules: { inline: '- macro: m\n  condition: evt.type = x\n' }, events: { inline: [{}] } } }, /^rules: not accepted from clients on a server/);
    await refused(evaluate, { input: { rules: { files: [path.join(allowed, 'pod.yaml')] }, events: { inline: [{}] } } }, /^rules: not accepted from clients/);
    await refused(evaluate, { input: { events: { files: ['/etc/shadow'] } } }, /^events\.files\.0: "\/etc\/shadow" is outside/);
  });

  it('the worker checks again when it runs: a folder swapped for a link out of the allowed folder after submit fails the task, unread', async () => {
    const events = path.join(allowed, 'events');
    mkdirSync(events);
    writeFileSync(path.join(events, 'e.jsonl'), '{}\n');
    writeFileSync(path.join(outside, 'e.jsonl'), '{}\n');
    const { submitTask } = await graphqlData<{ submitTask: { id: string } }>(api.url, 'mutation($input: JSON!) { submitTask(kind: RUNTIME, type: "evaluate-events", input: $input) { id } }', {
      input: { events: { files: [path.join(events, 'e.jsonl')] } },
    });
    // Between submit and run, the folder becomes a link to a folder outside.
    renameSync(events, path.join(dir, 'events-moved'));
    symlinkSync(outside, events);
    const worker = await startWorker({ registry, inputs: policy, database: { dataSource: platform.db.dataSource }, redisUrl: REDIS_URL, queuePrefix: platform.db.schema, kinds: ['runtime'], shutdownGraceMs: 2_000 });
    try {
      const task = await statusOf(submitTask.id);
      expect(task.status).toBe('FAILED');
      expect(task.error).toMatch(/^events\.files\.0: ".*e\.jsonl" leads \(through a symbolic link\) outside the folders this server allows/);
    } finally {
      await worker.stop();
    }
  });

  it('runs node benchmarks only where the operator turned them on', async () => {
    settings['BULKHEAD_ENABLE_NODE_BENCHMARKS'] = undefined;
    try {
      await refused(SUBMIT, { input: { benchmark: 'cis-test', targets: ['node'] } }, /task kube-bench is turned off on this server; the operator can turn it on with BULKHEAD_ENABLE_NODE_BENCHMARKS=true/);
    } finally {
      settings['BULKHEAD_ENABLE_NODE_BENCHMARKS'] = 'true';
    }
  });
});
