import { ApiTokenStore } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, PROBE_TASK, ServerInputPolicy } from '@bulkhead/queue';
import { loadApiConfig } from './config';
import { startApi, type ApiHandle } from './start-api';
import { graphql } from './testing/graphql-http';
import { createTestToken } from './testing/platform';
import { silentLogger } from './testing/silent-logger';

/*
 * Two API replicas over one database and Redis prefix (no worker: submitted tasks stay QUEUED).
 * The token cache must never delay a revocation, whichever replica or tool revokes; and a
 * submitTasks batch of N counts as N against the rate limit and the queued-task quota.
 */

jest.setTimeout(120_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const RATE_LIMIT = 40;
const QUOTA = 12;

let db: TestDatabase;
let a: ApiHandle;
let b: ApiHandle;

beforeAll(async () => {
  db = await createTestDatabase('api_token_cache');
  const env = { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, BULKHEAD_RATE_LIMIT: String(RATE_LIMIT), BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN: String(QUOTA) };
  const start = () => startApi({ config: loadApiConfig(env), env, inputs: new ServerInputPolicy({ allowedPaths: [] }), registry: new PluginRegistry(), dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
  a = await start();
  b = await start();
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
});

const WHO = '{ plugins { id } }';

function codes(response: { errors?: { extensions?: Record<string, unknown> }[] }): unknown[] {
  return (response.errors ?? []).map((e) => e.extensions?.['code']);
}

describe('token cache', () => {
  it('a token revoked through one replica is refused at once by another that had it cached', async () => {
    const admin = await createTestToken(db.dataSource, 'admin');
    const viewer = await createTestToken(db.dataSource, 'viewer');
    // Cached on B by its first use; many uses after it do not read Postgres again, and still pass.
    for (let i = 0; i < 5; i++) expect((await graphql(b.url, WHO, {}, { token: viewer.secret })).errors).toBeUndefined();
    const revoked = await graphql(a.url, 'mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }', { id: viewer.id }, { token: admin.secret });
    expect(revoked.errors).toBeUndefined();
    const refused = await graphql(b.url, WHO, {}, { token: viewer.secret });
    expect(codes(refused)).toEqual(['UNAUTHENTICATED']);
    expect(refused.errors?.[0]?.message).toMatch(/revoked/);
    expect(codes(await graphql(a.url, WHO, {}, { token: viewer.secret }))).toEqual(['UNAUTHENTICATED']);
  });

  it('a revocation straight in the database (`bulkhead token revoke`), an expiry or a role change reaches every replica at once', async () => {
    const store = new ApiTokenStore(db.dataSource);
    const revokedOutside = await createTestToken(db.dataSource, 'viewer');
    const shortened = await createTestToken(db.dataSource, 'viewer');
    const demoted = await createTestToken(db.dataSource, 'admin');
    for (const api of [a, b]) {
      for (const token of [revokedOutside, shortened]) expect((await graphql(api.url, WHO, {}, { token: token.secret })).errors).toBeUndefined();
      expect((await graphql(api.url, '{ apiTokens { id } }', {}, { token: demoted.secret })).errors).toBeUndefined();
    }
    await store.revoke(revokedOutside.id);
    await db.dataSource.query(`UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = $1`, [shortened.id]);
    await db.dataSource.query(`UPDATE api_token SET role = 'viewer' WHERE id = $1`, [demoted.id]);
    for (const api of [a, b]) {
      expect((await graphql(api.url, WHO, {}, { token: revokedOutside.secret })).errors?.[0]?.message).toMatch(/revoked/);
      expect((await graphql(api.url, WHO, {}, { token: shortened.secret })).errors?.[0]?.message).toMatch(/expired/);
      expect(codes(await graphql(api.url, '{ apiTokens { id } }', {}, { token: demoted.secret }))).toEqual(['FORBIDDEN']);
    }
  });

  it('an expiry passing while the token is cached is exact', async () => {
    const token = await createTestToken(db.dataSource, 'viewer', 'default', new Date(Date.now() + 1_500));
    expect((await graphql(b.url, WHO, {}, { token: token.secret })).errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect((await graphql(b.url, WHO, {}, { token: token.secret })).errors?.[0]?.message).toMatch(/expired/);
  });
});

describe('submitTasks limits', () => {
  const SUBMIT_MANY = 'mutation($t: [TaskSubmission!]!) { submitTasks(tasks: $t) { id status } }';
  const canaries = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ kind: 'RUNTIME', type: PROBE_TASK.type, input: { label: `${tag}-${i}` } }));

  it('counts a batch of N as N against the queued-task quota: all or none', async () => {
    const operator = await createTestToken(db.dataSource, 'operator');
    const first = await graphql<{ submitTasks: { id: string; status: string }[] }>(a.url, SUBMIT_MANY, { t: canaries(8, 'quota-a') }, { token: operator.secret });
    expect(first.data?.submitTasks).toHaveLength(8);
    expect(new Set(first.data?.submitTasks.map((t) => t.status))).toEqual(new Set(['QUEUED']));
    // 8 of 12 places taken: 5 more do not fit (none is submitted), 4 do.
    const over = await graphql(b.url, SUBMIT_MANY, { t: canaries(5, 'quota-b') }, { token: operator.secret });
    expect(codes(over)).toEqual(['RATE_LIMITED']);
    expect(over.errors?.[0]?.message).toMatch(/a batch of 5 tasks does not fit in the 12 queued or running tasks/);
    const stored = await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM task WHERE input->>'label' LIKE 'quota-b-%'`);
    expect(Number(stored[0]?.n)).toBe(0);
    expect((await graphql<{ submitTasks: unknown[] }>(b.url, SUBMIT_MANY, { t: canaries(4, 'quota-c') }, { token: operator.secret })).data?.submitTasks).toHaveLength(4);
    const whole = await graphql(a.url, SUBMIT_MANY, { t: canaries(QUOTA + 1, 'quota-d') }, { token: (await createTestToken(db.dataSource, 'operator')).secret });
    expect(whole.errors?.[0]?.message).toMatch(/a batch of 13 tasks is more than the 12/);
  });

  it('counts a batch of N as N requests against the rate limit, and bounds its size', async () => {
    const operator = await createTestToken(db.dataSource, 'operator');
    // One request counted by the middleware plus 9 for the batch's other tasks (quota: 12 per token).
    expect((await graphql<{ submitTasks: unknown[] }>(a.url, SUBMIT_MANY, { t: canaries(10, 'rate-a') }, { token: operator.secret })).data?.submitTasks).toHaveLength(10);
    const tooBig = await graphql(a.url, SUBMIT_MANY, { t: canaries(501, 'rate-big') }, { token: operator.secret });
    expect(codes(tooBig)).toEqual(['BAD_USER_INPUT']);
    expect(tooBig.errors?.[0]?.message).toMatch(/at most 500 tasks per call \(got 501\)/);
    const empty = await graphql(a.url, SUBMIT_MANY, { t: [] }, { token: operator.secret });
    expect(empty.errors?.[0]?.message).toMatch(/at least one task/);
    // 10 + 1 + 1 counted so far (the refused calls are requests too): a batch of 30 makes 42 of 40.
    const limited = await graphql(b.url, SUBMIT_MANY, { t: canaries(2, 'rate-b').concat(canaries(28, 'rate-b2')) }, { token: operator.secret });
    expect(codes(limited)).toEqual(['RATE_LIMITED']);
    expect(limited.errors?.[0]?.message).toMatch(/a batch of 30 tasks goes over the rate limit/);
  });
});
