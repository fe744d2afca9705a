import { ApiStartupError, startApi, type ApiHandle } from '@bulkhead/api';
import { authHeaders, createTestToken, graphql, graphqlData, silentLogger, subscriptionClient, useAdminToken } from '@bulkhead/api/testing';
import { builtinPluginPackages } from '@bulkhead/builtin-plugins';
import { ResultWriter } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { PRIORITIES } from '@bulkhead/plugin-runtime';
import { ALERT_INDEXES, ALERT_POD_INDEXES, alertFindingFilter, api as runtimeApi, type AlertCriteria } from '@bulkhead/plugin-runtime/api';
import { compileFindingCountQuery, compileFindingPageQuery } from '@bulkhead/plugin-sdk/api';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { describeWithShared } from '@bulkhead/testing';
import type { Client } from 'graphql-ws';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findingSubscribers, REDIS_URL, untilSubscribed } from './testing';

/*
 * The runtime plugin's API surface (its `api` entry, loaded by the host like any plugin's):
 * the ingest endpoints and the alert API against real Postgres and Redis, with the upstream
 * Falco k8s audit rules and the audit events of Falco's k8saudit test files.
 */

// Per test. Jest takes testTimeout from the root configuration only, not from a project's
// (jest.config.cjs sets it on the integration project): without this the limit is 5 s.
jest.setTimeout(60_000);

const MAX_BODY = 512 * 1024;

const SYSCALL_RULES = `
- rule: Shell in container
  desc: a shell ran in a container
  condition: evt.type = execve and proc.name = bash and container.id != host
  output: Shell in container (container=%container.id image=%container.image.repository ns=%k8s.ns.name pod=%k8s.pod.name)
  priority: NOTICE
  tags: [container, shell]
`;

interface AlertNode {
  id: string;
  rule: string;
  priority: string;
  time: string;
  source: string;
  output: string;
  tags: string[];
  hostname: string | null;
  outputFields: Record<string, unknown>;
  severity: string;
  target: string;
}

const ALERT_FIELDS = 'id rule priority time source output tags hostname outputFields severity target';

interface Page {
  alerts: { totalCount: number; edges: { cursor: string; node: AlertNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

async function post(url: string, body: string | Buffer | ReadableStream<Uint8Array>, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  // The API's admin token (useAdminToken in startRuntimeApi): ingest routes need at least an operator.
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers: { 'content-type': contentType, ...authHeaders(new URL(url).origin) }, body };
  if (body instanceof ReadableStream) init.duplex = 'half';
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A chunked body (no Content-Length), so the limit can only be enforced while reading. */
function streamOf(chunks: number, chunkBytes: number, fill = 0x20): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ >= chunks) controller.close();
      else controller.enqueue(new Uint8Array(chunkBytes).fill(fill));
    },
  });
}

/** The API with the built-in plugins' api entries (the runtime plugin's among them), configured by `env`; the test helpers send an admin token. */
async function startRuntimeApi(db: TestDatabase, env: Record<string, string> = {}): Promise<ApiHandle> {
  const api = await startApi({
    registry: new PluginRegistry(),
    plugins: builtinPluginPackages(),
    env: { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, ...env },
    dataSource: db.dataSource,
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger(),
  });
  await useAdminToken(api, db.dataSource);
  return api;
}

describeWithShared('runtime ingest and alerts (Falco k8s audit rules, real Postgres and Redis)', (shared) => {
  const k8saudit = path.join(shared, 'peers', 'falco', 'k8saudit');
  let db: TestDatabase;
  let api: ApiHandle;
  let ws: Client;
  let work: string;
  let alertFile: string;
  let eventList: string;
  let auditEvents: Record<string, unknown>[];
  let raisedFromEventList = 0;

  const alertCount = async (): Promise<number> => (await db.dataSource.query(`SELECT count(*)::int AS n FROM "${db.schema}".finding WHERE kind = 'runtime'`))[0].n;
  const alertFileLines = async (): Promise<number> => (await readFile(alertFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  const allAlerts = async (filter: Record<string, unknown> = {}): Promise<{ totalCount: number; nodes: AlertNode[] }> => {
    const nodes: AlertNode[] = [];
    let after: string | null = null;
    let totalCount: number;
    do {
      const page: Page = await graphqlData<Page>(
        api.url,
        `query($filter: AlertFilter, $after: String) { alerts(filter: $filter, first: 7, after: $after) { totalCount edges { cursor node { ${ALERT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { filter, after },
      );
      totalCount = page.alerts.totalCount;
      nodes.push(...page.alerts.edges.map((e) => e.node));
      after = page.alerts.pageInfo.hasNextPage ? page.alerts.pageInfo.endCursor : null;
    } while (after);
    return { totalCount, nodes };
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'bh-api-runtime-'));
    alertFile = path.join(work, 'out', 'alerts.jsonl');
    const syscallRules = path.join(work, 'syscall_rules.yaml');
    await writeFile(syscallRules, SYSCALL_RULES);
    auditEvents = [];
    for (const file of (await readdir(path.join(k8saudit, 'test_files'))).filter((f) => f.endsWith('.json')).sort()) {
      for (const line of (await readFile(path.join(k8saudit, 'test_files', file), 'utf8')).split('\n')) {
        if (line.trim()) auditEvents.push(JSON.parse(line) as Record<string, unknown>);
      }
    }
    eventList = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: auditEvents });
    db = await createTestDatabase('api_runtime');
    api = await startRuntimeApi(db, {
      BULKHEAD_RUNTIME_RULES: `${path.join(k8saudit, 'k8s_audit_rules.yaml')},${syscallRules}`,
      BULKHEAD_MAX_EVENT_BODY_BYTES: String(MAX_BODY),
      BULKHEAD_ALERT_FILE: alertFile,
    });
    ws = subscriptionClient(api.url);
  });

  afterAll(async () => {
    await ws?.dispose();
    await api?.close();
    await db?.drop();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
    await rm(work, { recursive: true, force: true });
  });

  it('stores the alerts of an audit EventList and pushes them to an alertRaised subscriber', async () => {
    const wanted = 'Create Privileged Pod';
    const received: AlertNode[] = [];
    let expected = Infinity;
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (resolveAll = resolve));
    const unsubscribe = ws.subscribe<{ alertRaised: AlertNode }>(
      { query: `subscription($filter: AlertFilter) { alertRaised(filter: $filter) { ${ALERT_FIELDS} } }`, variables: { filter: { rule: wanted } } },
      {
        next: (result) => {
          if (result.data) received.push(result.data.alertRaised);
          if (received.length >= expected) resolveAll();
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    try {
      await untilSubscribed(db.schema);
      const response = await post(`${api.url}/k8s-audit`, eventList);
      expect(response.status).toBe(200);
      // Falco's test files include one deliberately broken item (fal_01_003.json: `"kind": 0`).
      const broken = auditEvents.filter((e) => e['kind'] !== 'Event').length;
      expect(broken).toBeGreaterThan(0);
      expect(response.body).toMatchObject({ events: auditEvents.length - broken, malformed: broken });
      raisedFromEventList = response.body['alerts'] as number;
      expect(raisedFromEventList).toBeGreaterThan(10);
      // Identical events (the files repeat some) raise identical alerts: stored once.
      const alerts = response.body['stored'] as number;
      expect(alerts).toBeGreaterThan(10);
      expect(alerts).toBeLessThanOrEqual(raisedFromEventList);
      expect(await alertCount()).toBe(alerts);

      const { nodes, totalCount } = await allAlerts();
      expect(totalCount).toBe(alerts);
      expect(new Set(nodes.map((n) => n.id)).size).toBe(alerts);
      expect(nodes.map((n) => n.time)).toEqual([...nodes.map((n) => n.time)].sort().reverse());
      const privileged = nodes.filter((n) => n.rule === wanted);
      expect(privileged.length).toBeGreaterThan(0);
      expect(privileged[0]).toMatchObject({ priority: 'WARNING', source: 'k8s_audit', severity: 'MEDIUM', tags: ['k8s'] });
      expect(privileged[0]?.output).toMatch(/Pod started with privileged container \(user=/);
      expect(privileged[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(Object.keys(privileged[0]?.outputFields ?? {})).toContain('ka.user.name');

      expected = privileged.length;
      if (received.length < expected) await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`got ${received.length} of ${expected} alerts`)), 10_000))]);
      expect(received.map((a) => a.id).sort()).toEqual(privileged.map((a) => a.id).sort());
      expect(received.every((a) => a.rule === wanted)).toBe(true);
      // Each new alert went to the configured file output once.
      expect(await alertFileLines()).toBe(alerts);
    } finally {
      unsubscribe();
    }
  });

  it('re-posting the same alerts adds no rows, publishes nothing and writes no output', async () => {
    // The subscriber of the previous test is gone, and with it this API's Redis subscription.
    const deadline = Date.now() + 5_000;
    while ((await findingSubscribers(db.schema)) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await findingSubscribers(db.schema)).toBe(0);
    const before = await alertCount();
    const lines = await alertFileLines();
    const response = await post(`${api.url}/k8s-audit`, eventList);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ alerts: raisedFromEventList, stored: 0 });
    expect(await alertCount()).toBe(before);
    expect(await alertFileLines()).toBe(lines);
  });

  it('filters alerts by rule, minimum priority, namespace and time, with the same results as filtering by hand', async () => {
    const { nodes: all } = await allAlerts();
    const rule = all[0]?.rule ?? '';
    const byRule = await allAlerts({ rule });
    expect(byRule.nodes.map((n) => n.id).sort()).toEqual(all.filter((n) => n.rule === rule).map((n) => n.id).sort());
    expect(byRule.totalCount).toBe(byRule.nodes.length);

    for (const priority of ['NOTICE', 'WARNING', 'ERROR']) {
      const admitted = PRIORITIES.slice(0, PRIORITIES.findIndex((p) => p.toUpperCase() === priority) + 1).map((p) => p.toUpperCase());
      const filtered = await allAlerts({ priority });
      expect(filtered.nodes.map((n) => n.id).sort()).toEqual(all.filter((n) => admitted.includes(n.priority)).map((n) => n.id).sort());
    }

    const namespaces = all.map((n) => n.outputFields['ka.target.namespace']).filter((ns): ns is string => typeof ns === 'string' && ns !== '<NA>');
    const namespace = namespaces.find((ns) => ns === 'kube-system') ?? namespaces[0] ?? 'default';
    const inNamespace = await allAlerts({ namespace });
    expect(inNamespace.nodes.length).toBeGreaterThan(0);
    expect(inNamespace.nodes.map((n) => n.id).sort()).toEqual(all.filter((n) => n.outputFields['ka.target.namespace'] === namespace).map((n) => n.id).sort());

    const times = all.map((n) => n.time).sort();
    const middle = times[Math.floor(times.length / 2)] ?? '';
    const from = new Date(middle.slice(0, 23) + 'Z');
    const later = await allAlerts({ from: from.toISOString() });
    const earlier = await allAlerts({ to: from.toISOString() });
    expect(later.totalCount + earlier.totalCount).toBe(all.length);
    expect(later.nodes.every((n) => n.time >= from.toISOString().slice(0, 23))).toBe(true);
    expect((await allAlerts({ from: '2100-01-01T00:00:00Z' })).totalCount).toBe(0);

    const bad = await graphql(api.url, '{ alerts(filter: { from: "2020-01-02T00:00:00Z", to: "2020-01-01T00:00:00Z" }) { totalCount } }');
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('filters alerts by pod (k8s.pod.name) within the caller team, and refuses bad pod names', async () => {
    const podAlert = (pod: string, n: number) => ({
      output: `Shell in pod ${pod}`,
      priority: 'Warning',
      rule: 'Pod filter test',
      source: 'syscall',
      tags: [],
      time: `2024-06-01T10:00:0${n}.000000000Z`,
      output_fields: { 'container.id': `podtest${n}`, 'k8s.ns.name': 'shop', 'k8s.pod.name': pod },
    });
    // An audit alert naming a pod object: not matched by the pod filter (documented: syscall alerts only).
    const audit = { ...podAlert('x', 4), source: 'k8s_audit', output_fields: { 'ka.target.resource': 'pods', 'ka.target.name': 'web-1', 'ka.target.namespace': 'shop', 'ka.user.name': 'u' } };
    const stored = await post(`${api.url}/falco-alerts`, JSON.stringify([podAlert('web-1', 1), podAlert('web-2', 2), podAlert('web-1', 3), audit]));
    expect(stored.body).toMatchObject({ received: 4, stored: 4, rejected: 0 });
    // Another team's alert in a pod of the same name, sent with that team's operator token.
    const other = await createTestToken(db.dataSource, 'operator', 'team-pods');
    const foreign = await fetch(`${api.url}/falco-alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${other.secret}` },
      body: JSON.stringify(podAlert('web-1', 5)),
    });
    expect(foreign.status).toBe(200);

    const web1 = await allAlerts({ pod: 'web-1' });
    expect(web1.nodes.map((n) => [n.outputFields['k8s.pod.name'], n.time])).toEqual([
      ['web-1', '2024-06-01T10:00:03.000000000Z'],
      ['web-1', '2024-06-01T10:00:01.000000000Z'],
    ]);
    expect(web1.totalCount).toBe(2);
    expect((await allAlerts({ pod: 'web-2' })).nodes.map((n) => n.target)).toEqual(['container:podtest2']);
    expect((await allAlerts({ pod: 'web-1', namespace: 'shop', from: '2024-06-01T10:00:02Z' })).nodes.map((n) => n.target)).toEqual(['container:podtest3']);
    expect((await allAlerts({ pod: 'web' })).totalCount).toBe(0);
    // The other team sees its own alert only.
    const theirs = await graphqlData<Page>(api.url, `{ alerts(filter: { pod: "web-1" }) { totalCount edges { cursor node { ${ALERT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`, {}, { token: other.secret });
    expect(theirs.alerts.edges.map((e) => e.node.target)).toEqual(['container:podtest5']);

    const long = await graphql(api.url, 'query($pod: String) { alerts(filter: { pod: $pod }) { totalCount } }', { pod: 'p'.repeat(254) });
    expect(long.errors?.[0]).toMatchObject({ message: 'filter.pod is longer than 253 characters, the most a Kubernetes name can have', extensions: { code: 'BAD_USER_INPUT' } });
    const nul = await graphql(api.url, 'query($pod: String) { alerts(filter: { pod: $pod }) { totalCount } }', { pod: 'web\u00001' });
    expect(nul.errors?.[0]?.message).toMatch(/NUL character/);
    const wrongType = await graphql(api.url, '{ alerts(filter: { pod: 7 }) { totalCount } }');
    expect(wrongType.errors?.[0]?.message).toMatch(/String cannot represent a non string value/);
  });

  it('each alert filter is served by its index, not a table scan', async () => {
    // The SQL the host runs for the plugin's finding filters (the SDK compiles it for both).
    const table = `"${db.schema}"."finding"`;
    const order = { dataPath: ['time'], descending: true };
    const count = (criteria: AlertCriteria) => compileFindingCountQuery(table, alertFindingFilter(criteria), order);
    const page = (criteria: AlertCriteria) => compileFindingPageQuery(table, alertFindingFilter(criteria), { limit: 51, order });
    const cases: [AlertCriteria, string][] = [
      [{ rule: 'rule-7' }, 'IDX_finding_runtime_rule'],
      [{ priorities: ['Emergency'] }, 'IDX_finding_runtime_priority'],
      [{ namespace: 'ns-42' }, 'IDX_finding_runtime_namespace'],
      [{ pod: 'pod-77' }, 'IDX_finding_runtime_pod'],
      [{ image: 'img-9' }, 'IDX_finding_runtime_image_repository'],
      [{ image: 'img-9:1' }, 'IDX_finding_runtime_image'],
      [{ from: '2024-01-01T01:00:00.000000000Z', to: '2024-01-01T01:05:00.000000000Z' }, 'IDX_finding_runtime_time'],
    ];
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      // 20 000 synthetic runtime alerts (rolled back below) and their statistics: enough rows for
      // the planner to choose by selectivity, as it would on a production table.
      await runner.query(
        `INSERT INTO ${table} (kind, severity, rule_id, title, target, data, fingerprint)
         SELECT 'runtime', 'LOW', 'rule-' || (i % 50), 'x', 'host:h',
                jsonb_build_object(
                  'time', to_char(timestamp '2024-01-01' + i * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS') || '.000000000Z',
                  'priority', (ARRAY['Emergency','Alert','Critical','Error','Warning','Notice','Informational','Debug'])[1 + i % 8],
                  'output_fields', jsonb_build_object('k8s.ns.name', 'ns-' || (i % 100), 'k8s.pod.name', 'pod-' || (i % 500), 'container.image.repository', 'img-' || (i % 200), 'container.image', 'img-' || (i % 200) || ':1')),
                'synthetic-' || i
           FROM generate_series(1, 20000) AS i`,
      );
      await runner.query(`ANALYZE ${table}`);
      const explain = async (query: { sql: string; params: unknown[] }): Promise<string> =>
        ((await runner.query(`EXPLAIN ${query.sql}`, query.params)) as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      // The unfiltered page walks the time index backwards and stops after one page.
      const unfiltered = await explain(page({}));
      expect({ page: unfiltered.includes('IDX_finding_runtime_time') && !unfiltered.includes('Seq Scan') ? 'index' : unfiltered }).toEqual({ page: 'index' });
      for (const [criteria, index] of cases) {
        for (const query of [count(criteria), page(criteria)]) {
          const plan = await explain(query);
          expect({ criteria, plan: plan.includes('Seq Scan') ? plan : 'no table scan' }).toEqual({ criteria, plan: 'no table scan' });
        }
        const plan = await explain(count(criteria));
        expect({ criteria, index: plan.includes(index) ? index : plan }).toEqual({ criteria, index });
      }
    } finally {
      await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  });

  it("the plugin's migration creates exactly the indexes the core migration of earlier versions created", async () => {
    // Every installation ran the core RuntimeAlertIndexes migration first; the plugin's step then
    // finds the indexes by name. Here they are dropped (rolled back below) to see what the
    // plugin's step would create: the same definitions, so either way the query is served.
    const definitions = async (run: { query: (sql: string, params?: unknown[]) => Promise<unknown> }, names: readonly string[]) =>
      (await run.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = ANY($2) ORDER BY indexname`, [db.schema, names])) as { indexname: string; indexdef: string }[];
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      // The core migration's indexes, and no other runtime index but the pod index of the plugin's own later step.
      const all = (await runner.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'IDX_finding_runtime_%'`, [db.schema])) as { indexname: string }[];
      expect(all.map((d) => d.indexname).sort()).toEqual([...Object.keys(ALERT_INDEXES), ...Object.keys(ALERT_POD_INDEXES)].sort());
      for (const [id, indexes] of [['0001-alert-indexes', ALERT_INDEXES], ['0002-alert-pod-index', ALERT_POD_INDEXES]] as const) {
        const names = Object.keys(indexes);
        const existing = await definitions(runner, names);
        expect(existing.map((d) => d.indexname).sort()).toEqual([...names].sort());
        for (const { indexname } of existing) await runner.query(`DROP INDEX "${db.schema}"."${indexname}"`);
        const step = runtimeApi.migrations?.find((m) => m.id === id);
        await step?.up({ query: (sql, params) => runner.query(sql, params ? [...params] : undefined) });
        expect(await definitions(runner, names)).toEqual(existing);
        // And it is idempotent: run again over existing indexes, it changes nothing.
        await step?.up({ query: (sql, params) => runner.query(sql, params ? [...params] : undefined) });
        expect(await definitions(runner, names)).toEqual(existing);
      }
    } finally {
      await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  });

  it('refuses an oversized body with 413, declared or streamed, and keeps serving', async () => {
    // Above Nest's default 100 kB JSON limit but within ours: the route reads its own body.
    const large = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [...auditEvents, ...auditEvents, ...auditEvents] });
    expect(large.length).toBeGreaterThan(200 * 1024);
    expect(large.length).toBeLessThan(MAX_BODY);
    const accepted = await post(`${api.url}/k8s-audit`, large);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ alerts: 3 * raisedFromEventList, stored: 0 });

    const declared = await post(`${api.url}/k8s-audit`, Buffer.alloc(MAX_BODY + 1, 0x20));
    expect(declared.status).toBe(413);
    expect(declared.body['error']).toMatch(/exceeds the limit of 524288 bytes/);
    const streamed = await post(`${api.url}/k8s-audit`, streamOf(64, 16 * 1024));
    expect(streamed.status).toBe(413);
    const alerts = await post(`${api.url}/falco-alerts`, streamOf(64, 16 * 1024));
    expect(alerts.status).toBe(413);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    const after = await post(`${api.url}/k8s-audit`, JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] }));
    expect(after).toEqual({ status: 200, body: expect.objectContaining({ events: 0, alerts: 0 }) });
  });

  it('answers 400 naming the problem to a malformed audit payload, and counts malformed items', async () => {
    const notJson = await post(`${api.url}/k8s-audit`, '{"kind": "EventList", ');
    expect(notJson.status).toBe(400);
    expect(notJson.body['error']).toMatch(/^body is not JSON/);
    const wrongVersion = await post(`${api.url}/k8s-audit`, JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v2', items: [] }));
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.body['error']).toMatch(/unsupported audit apiVersion "audit.k8s.io\/v2"/);
    const partly = await post(`${api.url}/k8s-audit`, JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1beta1', items: [auditEvents[0], { kind: 'Event' }, 7] }));
    expect(partly.status).toBe(200);
    expect(partly.body).toMatchObject({ events: 1, malformed: 2 });
    expect(partly.body['malformedSamples']).toEqual([expect.stringMatching(/^body item 1: /), expect.stringMatching(/^body item 2: /)]);
  });

  it('evaluates JSON lines on /events, counting malformed lines, and filters the alerts by image', async () => {
    const shell = (i: number, image: string, ns: string) =>
      JSON.stringify({ 'evt.type': 'execve', 'evt.rawtime': `170000000000000000${i}`, 'proc.name': 'bash', 'container.id': `c${i}`, 'container.image.repository': image, 'k8s.ns.name': ns });
    const lines = [
      shell(1, 'nginx', 'shop'),
      'not json',
      JSON.stringify({ 'evt.type': 'execve', 'proc.name': 'ls', 'container.id': 'c9' }),
      '',
      JSON.stringify({ 'proc.name': 'bash' }),
      shell(2, 'redis', 'cache'),
      shell(3, 'nginx', 'shop'),
      'x'.repeat(MAX_BODY + 10),
    ];
    const body = lines.join('\n') + '\n';
    // Chunks that split lines: the body is read as a stream, never whole.
    const bytes = Buffer.from(body);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + 1000)));
        offset += 1000;
      },
    });
    const response = await post(`${api.url}/events`, stream, 'application/x-ndjson');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ events: 4, alerts: 3, stored: 3, malformed: 3 });
    expect(response.body['malformedSamples']).toEqual([
      expect.stringMatching(/^line 2: invalid JSON/),
      expect.stringMatching(/^line 5: /),
      expect.stringMatching(/^line 8: longer than 524288 bytes/),
    ]);

    const nginx = await allAlerts({ image: 'nginx' });
    expect(nginx.nodes.map((n) => n.target).sort()).toEqual(['container:c1', 'container:c3']);
    expect(nginx.nodes[0]).toMatchObject({ rule: 'Shell in container', priority: 'NOTICE', source: 'syscall', tags: ['container', 'shell'] });
    expect((await allAlerts({ namespace: 'cache' })).nodes.map((n) => n.target)).toEqual(['container:c2']);
    const again = await post(`${api.url}/events`, `${shell(1, 'nginx', 'shop')}\n`, 'application/x-ndjson');
    expect(again.body).toMatchObject({ events: 1, alerts: 1, stored: 0 });
  });

  it('raises a drift alert for an exec of an executable that is not in the scanned image', async () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    await new ResultWriter(db.dataSource, null).artifact({
      digest,
      references: ['oci:/images/app'],
      size: 0,
      layers: [],
      metadata: { executables: ['/bin/sh', '/usr/bin/dash', '/usr/local/bin/app'], executableCount: 3 },
    });
    const exec = (i: number, exe: string, image = digest) =>
      JSON.stringify({
        'evt.type': 'execve',
        'evt.dir': '<',
        'evt.rawtime': `171000000000000000${i}`,
        'proc.name': path.basename(exe),
        'proc.exepath': exe,
        'proc.cmdline': path.basename(exe),
        'container.id': `drift${i}`,
        'container.image.repository': 'registry.example/app',
        'container.image.digest': image,
      });
    const body = [exec(1, '/usr/local/bin/app'), exec(2, '/bin/sh'), exec(3, '/tmp/xmrig'), exec(4, '/tmp/xmrig', `sha256:${'e'.repeat(64)}`)].join('\n');
    const response = await post(`${api.url}/events`, body, 'application/x-ndjson');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ events: 4, alerts: 1, stored: 1, malformed: 0 });
    const { nodes } = await allAlerts({ rule: 'Drift Detected' });
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ rule: 'Drift Detected', priority: 'CRITICAL', target: 'container:drift3' });
    expect(nodes[0]?.outputFields['proc.exepath']).toBe('/tmp/xmrig');
  });

  it('stores alerts of real Falco sensors from /falco-alerts once, validating them', async () => {
    const alert = {
      hostname: 'node-7',
      output: '10:20:05.408091526: Warning Sensitive file opened for reading by non-trusted program (user=root file=/etc/shadow container_id=3ad2d2e7c2f1 image=docker.io/library/alpine)',
      priority: 'Warning',
      rule: 'Read sensitive file untrusted',
      source: 'syscall',
      tags: ['filesystem', 'mitre_credential_access'],
      time: '2024-05-02T10:20:05.408091526Z',
      output_fields: {
        'container.id': '3ad2d2e7c2f1',
        'container.image.repository': 'docker.io/library/alpine',
        'proc.name': 'cat',
        'fd.name': '/etc/shadow',
        'k8s.ns.name': 'payments',
        'user.name': 'root',
      },
    };
    // Any replica serves any subscriber: a replica (without rules) hears what this API stores.
    const replica = await startRuntimeApi(db);
    const replicaWs = subscriptionClient(replica.url);
    try {
      const baseline = await findingSubscribers(db.schema);
      const heard = new Promise<AlertNode>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the replica subscriber heard nothing')), 10_000);
        // Subscribed first: its listener exists once Redis counts the replica's subscription.
        replicaWs.subscribe<{ alertRaised: AlertNode }>(
          { query: `subscription { alertRaised(filter: { namespace: "payments" }) { ${ALERT_FIELDS} } }` },
          {
            next: (result) => {
              clearTimeout(timer);
              if (result.data) resolve(result.data.alertRaised);
            },
            error: reject,
            complete: () => undefined,
          },
        );
        // Filtered out (WARNING is below ERROR): must not be raised to this one.
        replicaWs.subscribe<{ alertRaised: AlertNode }>(
          { query: `subscription { alertRaised(filter: { namespace: "payments", priority: ERROR }) { ${ALERT_FIELDS} } }` },
          { next: (result) => reject(new Error(`filtered subscription received ${JSON.stringify(result)}`)), error: reject, complete: () => undefined },
        );
      });
      // Both subscriptions share the replica's one Redis subscriber connection.
      await untilSubscribed(db.schema, baseline);
      const first = await post(`${api.url}/falco-alerts`, JSON.stringify(alert));
      expect(first).toEqual({ status: 200, body: { received: 1, stored: 1, rejected: 0, rejectedSamples: [] } });
      expect(await heard).toMatchObject({ rule: alert.rule, time: alert.time, target: 'container:3ad2d2e7c2f1', priority: 'WARNING' });
      expect(await findingSubscribers(db.schema)).toBe(baseline + 1);
    } finally {
      await replicaWs.dispose();
      await replica.close();
    }
    const again = await post(`${api.url}/falco-alerts`, JSON.stringify([alert, { ...alert, priority: 'LOUD' }]));
    expect(again).toEqual({ status: 200, body: { received: 2, stored: 0, rejected: 1, rejectedSamples: [expect.stringMatching(/^alert 1: priority: unknown priority "LOUD"/)] } });
    const invalid = await post(`${api.url}/falco-alerts`, JSON.stringify({ output: 'x' }));
    expect(invalid.status).toBe(400);
    expect(invalid.body['error']).toMatch(/^not a Falco alert: alert: .*rule/);

    const { nodes } = await allAlerts({ image: 'docker.io/library/alpine', namespace: 'payments', priority: 'WARNING' });
    expect(nodes).toEqual([
      expect.objectContaining({ rule: alert.rule, time: alert.time, hostname: 'node-7', priority: 'WARNING', target: 'container:3ad2d2e7c2f1', outputFields: alert.output_fields, tags: alert.tags }),
    ]);
  });
});

describe('runtime ingest without rules, and broken rules', () => {
  it('answers 503 saying how to configure rules; a rules error stops start-up naming file:line:col', async () => {
    const db = await createTestDatabase('api_runtime_off');
    const work = await mkdtemp(path.join(tmpdir(), 'bh-api-rules-'));
    try {
      const api = await startRuntimeApi(db);
      try {
        for (const route of ['k8s-audit', 'events']) {
          const response = await post(`${api.url}/${route}`, '{}');
          expect(response.status).toBe(503);
          expect(response.body['error']).toMatch(/set BULKHEAD_RUNTIME_RULES to a comma-separated list of Falco rules files/);
        }
      } finally {
        await api.close();
      }

      const broken = path.join(work, 'broken.yaml');
      await writeFile(broken, '- rule: Broken\n  desc: x\n  condition: evt.type = (\n  output: x\n  priority: WARNING\n');
      const start = startRuntimeApi(db, { BULKHEAD_RUNTIME_RULES: broken });
      await expect(start).rejects.toBeInstanceOf(ApiStartupError);
      await expect(start).rejects.toThrow(new RegExp(`BULKHEAD_RUNTIME_RULES: the rules failed to load:\\n  ${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: error: `));
      await expect(startRuntimeApi(db, { BULKHEAD_RUNTIME_RULES: path.join(work, 'missing.yaml') })).rejects.toThrow(/missing\.yaml:1:1: error: cannot read rules file/);
    } finally {
      await db.drop();
      await rm(work, { recursive: true, force: true });
    }
  });
});
