import { graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages } from '@bulkhead/builtin-plugins';
import { FindingEntity, TaskStatus, TaskStore } from '@bulkhead/persistence';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { runtimePlugin } from '@bulkhead/plugin-runtime';
import { FindingsPublisher } from '@bulkhead/queue';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findingSubscribers, REDIS_URL } from './testing';

/*
 * Alerts a worker's runtime task stores reach the API's `alertRaised` subscribers: the worker
 * announces every new finding on the host's generic findings channel, and the runtime plugin's
 * API module follows runtime ones. Real API, real worker, real Postgres and Redis.
 */

jest.setTimeout(60_000);

const RULES = `- rule: Shell in container
  desc: a shell ran in a container
  condition: evt.type = execve and proc.name = bash and container.id != host
  output: Shell in container (container=%container.id ns=%k8s.ns.name)
  priority: ERROR
  tags: [container, shell]
`;
const EVENTS = [
  { 'evt.type': 'execve', 'evt.time': '2025-04-01T08:00:00.000000001Z', 'proc.name': 'bash', 'container.id': 'feed01', 'k8s.ns.name': 'payments' },
  { 'evt.type': 'execve', 'evt.time': '2025-04-01T08:00:01.000000000Z', 'proc.name': 'bash', 'container.id': 'feed02', 'k8s.ns.name': 'billing' },
];

interface AlertNode {
  id: string;
  rule: string;
  priority: string;
  time: string;
  target: string;
  outputFields: Record<string, unknown>;
}

let platform: TestPlatform;
let tasks: TaskStore;
let rulesDir = '';

beforeAll(async () => {
  // The built-in packages' api entries (the runtime plugin's alerts), a worker for runtime tasks.
  platform = await startTestPlatform({ label: 'api_runtime_worker', registry: new PluginRegistry([runtimePlugin]), plugins: builtinPluginPackages(), kinds: ['runtime'], shutdownGraceMs: 2_000 });
  tasks = new TaskStore(platform.db.dataSource);
  // A server takes rules only from its operator: the worker's BULKHEAD_RUNTIME_RULES.
  rulesDir = mkdtempSync(path.join(tmpdir(), 'bulkhead-rules-'));
  writeFileSync(path.join(rulesDir, 'rules.yaml'), RULES);
  process.env['BULKHEAD_RUNTIME_RULES'] = path.join(rulesDir, 'rules.yaml');
});

afterAll(async () => {
  await platform?.stop();
  delete process.env['BULKHEAD_RUNTIME_RULES'];
  rmSync(rulesDir, { recursive: true, force: true });
});

async function submit(input: unknown): Promise<string> {
  const data = await graphqlData<{ submitTask: { id: string } }>(platform.api.url, 'mutation($input: JSON!) { submitTask(kind: RUNTIME, type: "evaluate-events", input: $input) { id } }', { input });
  return data.submitTask.id;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const finished = (id: string) =>
  until(`task ${id} to finish`, async () => {
    const status = (await tasks.get(id))?.status;
    return status === TaskStatus.SUCCEEDED || status === TaskStatus.FAILED || status === TaskStatus.CANCELLED ? status : undefined;
  });

describe('alerts raised by a worker task', () => {
  it('reach an alertRaised subscriber once; running the task again raises nothing and adds no rows', async () => {
    const { db, ws } = platform;
    const received: AlertNode[] = [];
    const errors: unknown[] = [];
    const baseline = await findingSubscribers(db.schema);
    const unsubscribe = ws.subscribe<{ alertRaised: AlertNode }>(
      { query: 'subscription { alertRaised(filter: { namespace: "payments" }) { id rule priority time target outputFields } }' },
      { next: (result) => (result.data ? received.push(result.data.alertRaised) : errors.push(result.errors)), error: (e) => errors.push(e), complete: () => undefined },
    );
    const marker = new FindingsPublisher({ redisUrl: REDIS_URL, prefix: db.schema });
    try {
      await until('the subscription to reach Redis', async () => ((await findingSubscribers(db.schema)) > baseline ? true : undefined));
      const input = { events: { inline: EVENTS } };
      const first = await submit(input);
      expect(await finished(first)).toBe(TaskStatus.SUCCEEDED);
      await until('the alert', async () => (received.length > 0 ? true : undefined));
      const rows = await db.dataSource.manager.find(FindingEntity, { where: { kind: 'runtime' }, order: { target: 'ASC' } });
      expect(rows.map((r) => r.target)).toEqual(['container:feed01', 'container:feed02']);
      // Only the payments one matches the filter.
      expect(received).toEqual([
        { id: rows[0]?.id, rule: 'Shell in container', priority: 'ERROR', time: '2025-04-01T08:00:00.000000001Z', target: 'container:feed01', outputFields: { 'container.id': 'feed01', 'k8s.ns.name': 'payments' } },
      ]);

      const second = await submit(input);
      expect(second).not.toBe(first);
      expect(await finished(second)).toBe(TaskStatus.SUCCEEDED);
      // Announced after the second task finished: heard after anything that task announced.
      // A finding of another kind with the same data is not an alert, and is not raised.
      const markerAlert = { rule: 'marker', output: 'marker', priority: 'Error', source: 'syscall', tags: [], time: '2025-04-01T09:00:00.000000000Z', output_fields: { 'k8s.ns.name': 'payments' } };
      const now = new Date();
      const finding = { severity: 'HIGH', ruleId: 'marker', title: 'marker', target: 'host:marker', location: null, data: markerAlert, fingerprint: 'marker', status: 'OPEN', reopened: false, reopenedAt: null, taskId: null, firstSeenAt: now, lastSeenAt: now, resolvedAt: null } as const;
      await marker.publish('default', [
        { ...finding, id: 'not-runtime', kind: 'scanner' },
        { ...finding, id: 'marker', kind: 'runtime' },
      ]);
      await until('the marker', async () => (received.some((a) => a.id === 'marker') ? true : undefined));
      expect(received.map((a) => a.id)).toEqual([rows[0]?.id, 'marker']);
      expect(await db.dataSource.manager.countBy(FindingEntity, { kind: 'runtime' })).toBe(2);
      expect(errors).toEqual([]);
    } finally {
      unsubscribe();
      await marker.close();
    }
  });
});
