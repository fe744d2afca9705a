import { ConfigError } from '@bulkhead/common';
import { ResultWriter } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { BadInputError, PluginRegistry, TaskInputError } from '@bulkhead/plugin-sdk';
import {
  compileFindingPageQuery,
  FINDING_EVENTS,
  HOST_ARTIFACTS,
  HOST_FINDINGS,
  HOST_TASKS,
  type FindingEvents,
  type HostArtifacts,
  type HostFindings,
  type HostTasks,
  type PluginApi,
  type StoredFinding,
} from '@bulkhead/plugin-sdk/api';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { loadApiConfig } from '../config';
import { startApi, type ApiHandle } from '../start-api';
import { ApiStartupError } from '../startup/startup-error';
import { authHeaders, graphqlData } from '../testing/graphql-http';
import { asTeam } from '../testing/as-team';
import { collectSubscription, subscriptionClient } from '../testing/graphql-ws';
import { createTestToken, useAdminToken } from '../testing/platform';
import { silentLogger } from '../testing/silent-logger';
import { acmeNotesApi, acmeNotesPackage, acmeNotesPlugin, acmePingPackage, acmePingPlugin, closed, noteFinding } from './testing/acme-notes.fixture';

/*
 * A plugin package with an `api` entry (GraphQL types, a query and a mutation, an HTTP ingest
 * route, three migrations, two config variables) and one whose module is a plain Nest module
 * class, served by startApi against real Postgres and Redis.
 */

jest.setTimeout(60_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const registry = new PluginRegistry([acmeNotesPlugin, acmePingPlugin]);

async function start(db: TestDatabase, env: Record<string, string>, plugins = [acmeNotesPackage(), acmePingPackage()]): Promise<ApiHandle> {
  const source = { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, ...env };
  const api = await startApi({ config: loadApiConfig(source), env: source, registry, plugins, dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
  await useAdminToken(api, db.dataSource);
  return api;
}

async function cleanRedis(prefix: string): Promise<void> {
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, prefix).finally(() => redis.disconnect());
}

describe('a plugin api entry served by startApi', () => {
  let db: TestDatabase;
  let api: ApiHandle;

  beforeAll(async () => {
    db = await createTestDatabase('plugin_api');
    api = await start(db, { ACME_GREETING: 'bonjour', ACME_LIMIT: '7', BULKHEAD_MAX_EVENT_BODY_BYTES: '1024' });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    await cleanRedis(db.schema);
  });

  it('runs its migrations after the core ones, once each, in order, and records them', async () => {
    const rows: { plugin_id: string; migration_id: string }[] = await db.dataSource.query(`SELECT plugin_id, migration_id FROM plugin_migration ORDER BY applied_at, migration_id`);
    expect(rows).toEqual([
      { plugin_id: 'acme.notes', migration_id: '0001-labels' },
      { plugin_id: 'acme.notes', migration_id: '0002-seed' },
      { plugin_id: 'acme.notes', migration_id: '0003-note-index' },
    ]);
    const data = await graphqlData<{ acmeSettings: { greeting: string; limit: number; tableRows: string[] } }>(api.url, '{ acmeSettings { greeting limit tableRows } }');
    expect(data.acmeSettings).toEqual({ greeting: 'bonjour', limit: 7, tableRows: ['first', 'second'] });
  });

  it('serves a plugin whose module is a plain Nest module class', async () => {
    expect(await graphqlData<{ acmePing: string }>(api.url, '{ acmePing }')).toEqual({ acmePing: 'pong' });
  });

  it('gives plugin modules the request context: the principal of each query, subscription and HTTP request, across awaits', async () => {
    expect(await graphqlData<{ acmeWhoAmI: string }>(api.url, '{ acmeWhoAmI }')).toEqual({ acmeWhoAmI: 'default/test-admin/admin' });
    const viewer = await createTestToken(db.dataSource, 'viewer', 'team-b');
    expect(await graphqlData<{ acmeWhoAmI: string }>(api.url, '{ acmeWhoAmI }', {}, { token: viewer.secret })).toEqual({ acmeWhoAmI: 'team-b/test-viewer/viewer' });
    const ws = subscriptionClient(api.url, { token: viewer.secret });
    try {
      const events = await collectSubscription<{ acmeWhoAmIEvents: string }>(ws, 'subscription { acmeWhoAmIEvents }', {}, { timeoutMs: 10_000 });
      expect(events.map((e) => e.acmeWhoAmIEvents)).toEqual(['team-b/test-viewer/viewer', 'team-b/test-viewer/viewer']);
    } finally {
      await ws.dispose();
    }
    const http = await fetch(`${api.url}/acme-whoami`, { headers: authHeaders(api.url, viewer.secret) });
    expect(await http.json()).toEqual({ principal: 'team-b/test-viewer/viewer' });
    // Concurrent requests of different principals do not see each other's.
    const both = await Promise.all(Array.from({ length: 10 }, (_, i) => graphqlData<{ acmeWhoAmI: string }>(api.url, '{ acmeWhoAmI }', {}, i % 2 ? { token: viewer.secret } : {})));
    expect(both.map((r) => r.acmeWhoAmI)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? 'team-b/test-viewer/viewer' : 'default/test-admin/admin')));
  });

  it('gives plugin modules the host findings: record announces new findings once; query filters on data paths', () =>
    asTeam('default', async () => {
    const events = api.app.get<FindingEvents>(FINDING_EVENTS, { strict: false });
    const stop = new AbortController();
    const live = events.subscribe({ kinds: ['signer'] }, stop.signal);
    const heard: StoredFinding[] = [];
    const reading = (async () => {
      for await (const finding of live) heard.push(finding);
    })();
    // The subscription is live once Redis has it.
    const redis = createRedis(REDIS_URL, 'producer');
    try {
      for (let i = 0; i < 100; i++) {
        const [, n] = (await redis.call('PUBSUB', 'NUMSUB', `${db.schema}:findings-raised`)) as [string, number];
        if (Number(n) > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      redis.disconnect();
    }

    const added = await graphqlData<{ acmeAddNotes: number }>(api.url, 'mutation { acmeAddNotes(texts: ["a", "b", "c"], author: "ann") }');
    expect(added.acmeAddNotes).toBe(3);
    // The same notes again: stored already, not announced again.
    expect((await graphqlData<{ acmeAddNotes: number }>(api.url, 'mutation { acmeAddNotes(texts: ["a", "b"], author: "ann") }')).acmeAddNotes).toBe(0);
    // Ingested over the plugin's HTTP route: one line too long for the limit is skipped.
    const body = [JSON.stringify({ text: 'd', author: 'bob', at: '2025-01-01T00:00:09Z' }), 'x'.repeat(2048), ''].join('\n');
    const ingest = await fetch(`${api.url}/acme-notes`, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders(api.url) }, body });
    expect(ingest.status).toBe(200);
    expect(await ingest.json()).toEqual({ stored: 1, tooLong: [2] });

    for (let i = 0; i < 250 && heard.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await reading;
    expect(heard.map((f) => f.title)).toEqual(['a', 'b', 'c', 'd']);

    const all = await graphqlData<{ acmeNotes: { totalCount: number; edges: { node: { text: string; author: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
      api.url,
      '{ acmeNotes(first: 2) { totalCount edges { node { text author } } pageInfo { hasNextPage endCursor } } }',
    );
    expect(all.acmeNotes.totalCount).toBe(4);
    expect(all.acmeNotes.edges.map((e) => e.node.text)).toEqual(['d', 'c']);
    expect(all.acmeNotes.pageInfo.hasNextPage).toBe(true);
    const next = await graphqlData<{ acmeNotes: { edges: { node: { text: string } }[]; pageInfo: { hasNextPage: boolean } } }>(
      api.url,
      'query($after: String) { acmeNotes(first: 2, after: $after) { edges { node { text } } pageInfo { hasNextPage } } }',
      { after: all.acmeNotes.pageInfo.endCursor },
    );
    expect(next.acmeNotes.edges.map((e) => e.node.text)).toEqual(['b', 'a']);
    expect(next.acmeNotes.pageInfo.hasNextPage).toBe(false);
    const bob = await graphqlData<{ acmeNotes: { edges: { node: { text: string; author: string } }[] } }>(api.url, '{ acmeNotes(author: "bob") { edges { node { text author } } } }');
    expect(bob.acmeNotes.edges.map((e) => e.node)).toEqual([{ text: 'd', author: 'bob' }]);
    }));

  it('reads data paths whose keys carry quotes, and never interpolates values', () =>
    asTeam('default', async () => {
    const findings = api.app.get<HostFindings>(HOST_FINDINGS, { strict: false });
    const hostileKey = `it's"; DROP TABLE finding; --`;
    const hostileValue = `x' OR '1'='1`;
    await findings.record([{ ...noteFinding('hostile', 'eve', '2025-01-02T00:00:00Z'), data: { at: '2025-01-02T00:00:00Z', [hostileKey]: hostileValue } }]);
    const byKey = await findings.query({ kinds: ['signer'], data: [{ path: [hostileKey], equals: hostileValue }] });
    expect(byKey.items.map((f) => f.title)).toEqual(['hostile']);
    const injected = await findings.query({ kinds: ['signer'], data: [{ path: ['meta', 'author'], equals: hostileValue }] });
    expect(injected.totalCount).toBe(0);
    expect(Number((await db.dataSource.query('SELECT count(*) AS n FROM finding'))[0].n)).toBe(5);
    }));

  it('gives plugin modules the host tasks: submit with labels and a parent, get, list by labels', () =>
    asTeam('default', async () => {
    const tasks = api.app.get<HostTasks>(HOST_TASKS, { strict: false });
    const parent = await tasks.submit({ kind: 'signer', type: 'annotate', input: { image: 'sha256:a' } });
    const child = await tasks.submit({ kind: 'signer', type: 'annotate', input: { image: 'sha256:b' }, labels: { run: 'r1' }, parentTaskId: parent.id });
    expect(child).toMatchObject({ status: 'QUEUED', pluginId: 'acme.notes', pluginVersion: '1.0.0', labels: { run: 'r1' }, parentTaskId: parent.id, artifactId: null });
    expect(await tasks.get(child.id)).toMatchObject({ id: child.id, labels: { run: 'r1' } });
    const labelled = await tasks.list({ labels: { run: 'r1' } });
    expect({ ids: labelled.items.map((t) => t.id), total: labelled.totalCount }).toEqual({ ids: [child.id], total: 1 });
    expect((await tasks.list({ kind: 'signer', types: ['annotate'] }, { first: 1 })).hasNextPage).toBe(true);
    await expect(tasks.submit({ kind: 'signer', type: 'annotate', input: {} })).rejects.toThrow(TaskInputError);
    await expect(tasks.submit({ kind: 'signer', type: 'annotate', input: { image: 'x' }, parentTaskId: '00000000-0000-4000-8000-000000000000' })).rejects.toThrow(BadInputError);
    }));

  it('gives plugin modules the host artifacts: an image by config or manifest digest, and its executables', () =>
    asTeam('default', async () => {
    const artifacts = api.app.get<HostArtifacts>(HOST_ARTIFACTS, { strict: false });
    await new ResultWriter(db.dataSource, null).artifact({
      digest: 'sha256:config1',
      manifestDigests: ['sha256:manifest1'],
      references: ['oci:/x:app'],
      os: { family: 'debian', version: '12' },
      size: 1,
      layers: [],
      metadata: { executables: ['/bin/sh', '/usr/bin/env'] },
    });
    expect(await artifacts.get('sha256:manifest1')).toMatchObject({ digest: 'sha256:config1', manifestDigests: ['sha256:manifest1'], references: ['oci:/x:app'], os: { family: 'debian', version: '12' } });
    expect(await artifacts.executables('sha256:manifest1')).toEqual(new Set(['/bin/sh', '/usr/bin/env']));
    expect(await artifacts.get('sha256:unknown')).toBeNull();
    expect(await artifacts.executables('sha256:unknown')).toBeNull();
    }));

  it('uses the index a plugin migration built with findingDataExpression', () =>
    asTeam('default', async () => {
    const findings = api.app.get<HostFindings>(HOST_FINDINGS, { strict: false }) as HostFindings & { tableName: string };
    const statement = compileFindingPageQuery(findings.tableName, { kinds: ['signer'] }, { limit: 10, order: { dataPath: ['at'] } });
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.query('SET enable_seqscan = off');
      const plan: { 'QUERY PLAN': string }[] = await runner.query(`EXPLAIN ${statement.sql}`, statement.params);
      expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('acme_note_at');
    } finally {
      await runner.query('RESET enable_seqscan').catch(() => undefined);
      await runner.release();
    }
    }));
});

describe('plugin api entries at start-up', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('plugin_api_start');
  });

  afterAll(async () => {
    await db?.drop();
    await cleanRedis(db.schema);
  });

  it('a bad config value stops start-up naming the variable', async () => {
    const error = await start(db, { ACME_LIMIT: 'many' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/plugin acme\.notes.*\n?.*ACME_LIMIT="many"/s);
  });

  it('a failing migration stops start-up naming plugin and step; the steps before it stay applied and run once', async () => {
    const failing: PluginApi = {
      ...(acmeNotesApi as unknown as PluginApi),
      migrations: [
        { id: '0001-ok', up: async (q) => void (await q.query('CREATE TABLE acme_once (n int)')) },
        { id: '0002-broken', up: async (q) => void (await q.query('SELECT * FROM no_such_table')) },
      ],
    };
    const error = await start(db, {}, [acmeNotesPackage(failing)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiStartupError);
    expect((error as Error).message).toMatch(/plugin acme\.notes: migration 0002-broken failed: .*no_such_table/);
    // Fixed: the first step is not run again (it would fail: the table exists), the second runs.
    const [first] = failing.migrations ?? [];
    if (!first) throw new Error('fixture has no first migration');
    const fixed: PluginApi = { ...failing, migrations: [first, { id: '0002-broken', up: async (q) => void (await q.query('INSERT INTO acme_once VALUES (1)')) }] };
    const api = await start(db, {}, [acmeNotesPackage(fixed)]);
    await api.close();
    expect(await db.dataSource.query('SELECT n FROM acme_once')).toEqual([{ n: 1 }]);
    expect(closed).toContain('acme.notes');
  });
});
