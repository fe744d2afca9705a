import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { startHttpReceiver, waitFor, type HttpReceiver } from '@bulkhead/testing';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import { createRedis, deleteKeysWithPrefix, FindingsPublisher } from '@bulkhead/queue';
import { loadApiConfig } from '../config';
import { startApi, type ApiHandle } from '../start-api';
import { graphql, graphqlData } from '../testing/graphql-http';
import { createTestToken, useAdminToken } from '../testing/platform';
import { silentLogger } from '../testing/silent-logger';
import { asTeam } from '../testing/as-team';
import { HOST_NOTIFICATIONS, type HostNotifications } from '@bulkhead/plugin-sdk/api';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from './signature';

jest.setTimeout(60_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SECRET = randomBytes(24).toString('hex');

const CREATE = `mutation($name: String!, $kind: NotificationChannelKind!, $url: String!, $secret: String, $crit: Boolean, $min: String) {
  createNotificationChannel(name: $name, kind: $kind, url: $url, secret: $secret, onCriticalFindings: $crit, runtimeAlertMinPriority: $min) {
    id name kind url hasSecret onCriticalFindings runtimeAlertMinPriority enabled } }`;

let db: TestDatabase;
let api: ApiHandle;
let receiver: HttpReceiver;
let port: number;
let publisher: FindingsPublisher;

function finding(over: Partial<StoredFinding>): StoredFinding {
  const now = new Date();
  return {
    id: randomUUID(), kind: 'scanner', severity: 'CRITICAL', ruleId: 'CVE-2099-0001', title: 'openssl overflow', target: 'reg.example/app@sha256:' + 'a'.repeat(64),
    fingerprint: randomUUID(), location: null, data: {}, status: 'OPEN', reopened: false, reopenedAt: null, taskId: randomUUID(),
    firstSeenAt: now, lastSeenAt: now, resolvedAt: null, ...over,
  };
}

beforeAll(async () => {
  receiver = await startHttpReceiver();
  port = receiver.port;
  db = await createTestDatabase('notify_api');
  const env = { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, BULKHEAD_NOTIFY_ALLOWED_HOSTS: `127.0.0.1:${port},169.254.169.254`, BULKHEAD_NOTIFY_ALLOW_PRIVATE: 'true', BULKHEAD_NOTIFY_SECRET_KEY: randomBytes(32).toString('base64') };
  api = await startApi({ config: loadApiConfig(env), env, registry: new PluginRegistry([]), dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
  await useAdminToken(api, db.dataSource);
  publisher = new FindingsPublisher({ redisUrl: REDIS_URL, prefix: db.schema });
});

afterAll(async () => {
  await publisher?.close();
  await api?.close();
  await db?.drop();
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
  await receiver?.close();
});

describe('notification channels over GraphQL', () => {
  it('validates input: webhook secret, URL policy (link-local refused even if listed), priority', async () => {
    const base = { name: 'x', kind: 'WEBHOOK', url: `http://127.0.0.1:${port}/h` };
    const cases: [Record<string, unknown>, RegExp][] = [
      [base, /needs a signing secret/],
      [{ ...base, secret: 'short' }, /secret: 16 to 512/],
      [{ ...base, secret: SECRET, url: 'http://169.254.169.254/latest' }, /link-local/],
      [{ ...base, secret: SECRET, url: 'https://elsewhere.example/h' }, /not in the allow-list/],
      [{ ...base, secret: SECRET, url: 'not a url' }, /not a valid URL/],
      [{ ...base, secret: SECRET, min: 'Loud' }, /not a priority/],
    ];
    for (const [vars, message] of cases) {
      const result = await graphql(api.url, CREATE, vars);
      expect(result.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT' } });
    }
  });

  it('needs the operator role and scopes channels to the team', async () => {
    const viewer = await createTestToken(db.dataSource, 'viewer');
    const denied = await graphql(api.url, CREATE, { name: 'v', kind: 'SLACK', url: `http://127.0.0.1:${port}/s` }, { token: viewer.secret });
    expect(denied.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const operator = await createTestToken(db.dataSource, 'operator', 'team-b');
    const made = await graphqlData<{ createNotificationChannel: { id: string } }>(api.url, CREATE, { name: 'b-slack', kind: 'SLACK', url: `http://127.0.0.1:${port}/b` }, { token: operator.secret });
    const mine = await graphqlData<{ notificationChannels: { id: string }[] }>(api.url, '{ notificationChannels { id } }');
    expect(mine.notificationChannels.map((c) => c.id)).not.toContain(made.createNotificationChannel.id);
    const steal = await graphql(api.url, 'mutation($id: ID!) { deleteNotificationChannel(id: $id) { id } }', { id: made.createNotificationChannel.id });
    expect(steal.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    await graphqlData(api.url, 'mutation($id: ID!) { deleteNotificationChannel(id: $id) { id } }', { id: made.createNotificationChannel.id }, { token: operator.secret });
  });

  it('sends new CRITICAL findings and runtime alerts at/above the priority, signed; logs deliveries; never returns the secret', async () => {
    const hook = await graphqlData<{ createNotificationChannel: { id: string; hasSecret: boolean } }>(api.url, CREATE, { name: 'hook', kind: 'WEBHOOK', url: `http://127.0.0.1:${port}/hook`, secret: SECRET, crit: true, min: 'critical' });
    expect(hook.createNotificationChannel.hasSecret).toBe(true);
    const schemaHasSecret = await graphql(api.url, '{ notificationChannels { secret } }');
    expect(schemaHasSecret.errors?.[0]?.message).toMatch(/Cannot query field "secret"/);
    // The audit log keeps arguments: the secret and URL are redacted there.
    const audit = await graphqlData<{ auditLog: { edges: { node: { operation: string; details: unknown } }[] } }>(api.url, '{ auditLog(first: 50) { edges { node { operation details } } } }');
    expect(JSON.stringify(audit.auditLog.edges)).not.toContain(SECRET);

    receiver.received.length = 0;
    const taskId = randomUUID();
    const critical = [finding({ taskId }), finding({ taskId })];
    await publisher.publish('default', [
      ...critical,
      finding({ severity: 'HIGH' }),
      finding({ status: 'SUPPRESSED' }),
      finding({ kind: 'runtime', severity: 'HIGH', ruleId: 'shell-in-container', data: { priority: 'Warning', output: 'sh spawned' } }),
      finding({ kind: 'runtime', severity: 'CRITICAL', ruleId: 'write-below-etc', data: { priority: 'Critical', output: 'wrote /etc/shadow' } }),
    ]);
    await publisher.publish('team-b', [finding({})]);
    await waitFor('two deliveries', () => (receiver.received.length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 2_500)); // nothing else arrives (batch window 2 s)
    expect(receiver.received).toHaveLength(2);
    const bodies = receiver.received.map((r) => {
      const ts = Number(r.headers[TIMESTAMP_HEADER.toLowerCase()]);
      expect(verifyWebhookSignature(SECRET, ts, r.body, String(r.headers[SIGNATURE_HEADER.toLowerCase()]))).toBe(true);
      return JSON.parse(r.body) as { event: { type: string; findingCount?: number; rule?: string } };
    });
    expect(bodies.map((b) => b.event.type).sort()).toEqual(['finding.critical', 'runtime.alert']);
    expect(bodies.find((b) => b.event.type === 'finding.critical')?.event.findingCount).toBe(2);
    expect(bodies.find((b) => b.event.type === 'runtime.alert')?.event.rule).toBe('write-below-etc');

    const log = await waitFor('delivery log', async () => {
      const d = await graphqlData<{ notificationDeliveries: { channelId: string; status: string; statusCode: number; eventType: string }[] }>(api.url, '{ notificationDeliveries { channelId status statusCode eventType } }');
      return d.notificationDeliveries.length >= 2 ? d.notificationDeliveries : undefined;
    });
    expect(log.map((d) => [d.channelId, d.status, d.statusCode]).sort()).toEqual([[hook.createNotificationChannel.id, 'SUCCEEDED', 200], [hook.createNotificationChannel.id, 'SUCCEEDED', 200]]);
  });
});

describe('channel update', () => {
  it('keeps the write-only secret when omitted, and refuses a SLACK secret', async () => {
    const made = await graphqlData<{ createNotificationChannel: { id: string } }>(api.url, CREATE, { name: 'upd', kind: 'WEBHOOK', url: `http://127.0.0.1:${port}/u`, secret: SECRET });
    const UPDATE = `mutation($id: ID!, $kind: NotificationChannelKind!, $secret: String) { updateNotificationChannel(id: $id, name: "upd2", kind: $kind, url: "http://127.0.0.1:${port}/u2", secret: $secret) { name url hasSecret onFailedGates } }`;
    const updated = await graphqlData<{ updateNotificationChannel: { name: string; hasSecret: boolean; onFailedGates: boolean } }>(api.url, UPDATE, { id: made.createNotificationChannel.id, kind: 'WEBHOOK' });
    expect(updated.updateNotificationChannel).toMatchObject({ name: 'upd2', hasSecret: true, onFailedGates: false });
    // Failed gates are fed by plugins' notifications now (apps/api/src/gate-notify.int-spec.ts): the rule is stored.
    const gates = await graphqlData<{ updateNotificationChannel: { onFailedGates: boolean; hasSecret: boolean } }>(
      api.url,
      `mutation($id: ID!) { updateNotificationChannel(id: $id, name: "upd2", kind: WEBHOOK, url: "http://127.0.0.1:${port}/u2", onFailedGates: true) { onFailedGates hasSecret } }`,
      { id: made.createNotificationChannel.id },
    );
    expect(gates.updateNotificationChannel).toEqual({ onFailedGates: true, hasSecret: true });
    const slack = await graphql(api.url, UPDATE, { id: made.createNotificationChannel.id, kind: 'SLACK', secret: SECRET });
    expect(slack.errors?.[0]).toMatchObject({ message: expect.stringMatching(/SLACK channels are not signed/), extensions: { code: 'BAD_USER_INPUT' } });
    const missing = await graphql(api.url, UPDATE, { id: randomUUID(), kind: 'WEBHOOK' });
    expect(missing.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    await graphqlData(api.url, 'mutation($id: ID!) { deleteNotificationChannel(id: $id) { id } }', { id: made.createNotificationChannel.id });
  });
});

describe('HOST_NOTIFICATIONS (a plugin module raising a notification)', () => {
  it("reaches the request team's channels whose rule selects the category, and nobody else's", async () => {
    const GATES = `mutation($name: String!, $url: String!, $secret: String) {
      createNotificationChannel(name: $name, kind: WEBHOOK, url: $url, secret: $secret, onFailedGates: true) { id } }`;
    const mine = await graphqlData<{ createNotificationChannel: { id: string } }>(api.url, GATES, { name: 'gates', url: `http://127.0.0.1:${port}/gates`, secret: SECRET });
    const other = await createTestToken(db.dataSource, 'operator', 'team-c');
    await graphqlData(api.url, GATES, { name: 'gates-c', url: `http://127.0.0.1:${port}/gates-c`, secret: SECRET }, { token: other.secret });
    const notifications = api.app.get<HostNotifications>(HOST_NOTIFICATIONS);
    const event = { category: 'GATE_FAILED' as const, severity: 'HIGH' as const, title: 'policy refused reg/app:2', summary: '1 reason', subject: 'reg/app:2', link: 'https://ci.example/runs/7' };
    // Outside a request there is no team to notify: refused, nothing sent.
    await expect(notifications.notify(event)).rejects.toThrow(/UNAUTHENTICATED|authenticat/i);
    await expect(asTeam('default', () => notifications.notify({ ...event, category: 'ANYTHING' } as never))).rejects.toThrow(/notification\.category/);
    receiver.received.length = 0;
    await asTeam('default', () => notifications.notify(event));
    const got = await waitFor('the gate notification', () => receiver.received.find((r) => r.path === '/gates'));
    const body = JSON.parse(got.body) as { event: Record<string, unknown> };
    expect(body.event).toMatchObject({ type: 'gate.failed', category: 'GATE_FAILED', teamId: 'default', title: event.title, link: event.link, taskId: null });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.received.map((r) => r.path)).toEqual(['/gates']);
    await graphqlData(api.url, 'mutation($id: ID!) { deleteNotificationChannel(id: $id) { id } }', { id: mine.createNotificationChannel.id });
  });
});
