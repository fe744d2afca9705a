import { randomBytes } from 'node:crypto';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { startHttpReceiver, waitFor, type HttpReceiver } from '@bulkhead/testing';
import type { Redis } from 'ioredis';
import { type DeliveryAttempt, NotifyDeliveryQueue } from './delivery-queue';
import { notifyDestinationPolicy } from './destination-policy';
import type { NotificationChannelTarget } from './deliver';
import type { NotificationEvent } from './messages';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from './signature';

jest.setTimeout(60_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SECRET = 'whsec-test-' + randomBytes(8).toString('hex');
const event: NotificationEvent = {
  type: 'gate.failed', teamId: 't1', category: 'GATE_FAILED', severity: 'HIGH', title: 'promotion gate failed for reg/app:1', summary: '2 reason(s) under maxSeverity',
  subject: 'reg/app:1', link: null, details: ['maxSeverity: 2 CRITICAL findings'], plugin: 'bulkhead.signer', taskId: null,
};


let receiver: HttpReceiver;
let port: number;
/** Status codes the receiver answers in order; then 200. */
let script: number[];
let prefix: string;
let producer: Redis;
let workerRedis: Redis;
let queue: NotifyDeliveryQueue;
let attempts: DeliveryAttempt[];
let channels: Map<string, NotificationChannelTarget>;

beforeAll(async () => {
  receiver = await startHttpReceiver({ status: () => script.shift() ?? 200 });
  port = receiver.port;
  prefix = `bhtest-notify-${randomBytes(4).toString('hex')}`;
  producer = createRedis(REDIS_URL, 'producer');
  workerRedis = createRedis(REDIS_URL, 'worker');
  channels = new Map();
  queue = new NotifyDeliveryQueue({
    producer,
    worker: workerRedis,
    prefix,
    // The receiver is on loopback: allowed explicitly, as an operator would for an internal host.
    policy: notifyDestinationPolicy({ allowedHosts: [`127.0.0.1:${port}`, '169.254.169.254'] /* listed on purpose: link-local stays refused */, allowPrivate: true }),
    resolveChannel: async (id) => channels.get(id) ?? null,
    log: { record: async (a) => void attempts.push(a) },
    attempts: 4,
    backoffMs: 200,
  });
});

beforeEach(() => {
  receiver.received.length = 0;
  script = [];
  attempts = [];
});

afterAll(async () => {
  await queue?.close();
  if (producer) await deleteKeysWithPrefix(producer, prefix).catch(() => undefined);
  producer?.disconnect();
  workerRedis?.disconnect();
  await receiver?.close();
});

it('signs a webhook delivery with HMAC-SHA256 over timestamp + body', async () => {
  channels.set('hook', { kind: 'WEBHOOK', url: `http://127.0.0.1:${port}/hook`, secret: SECRET });
  const id = await queue.enqueue('hook', event);
  const got = await waitFor('delivery', () => receiver.received[0]);
  const timestamp = Number(got.headers[TIMESTAMP_HEADER.toLowerCase()]);
  const signature = String(got.headers[SIGNATURE_HEADER.toLowerCase()]);
  expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
  expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
  expect(verifyWebhookSignature(SECRET, timestamp, got.body, signature)).toBe(true);
  expect(verifyWebhookSignature('wrong', timestamp, got.body, signature)).toBe(false);
  expect(JSON.parse(got.body)).toMatchObject({ version: 1, deliveryId: id, event: { type: 'gate.failed', category: 'GATE_FAILED', subject: 'reg/app:1' } });
  await waitFor('log', () => attempts.find((a) => a.status === 'SUCCEEDED'));
  expect(attempts).toEqual([expect.objectContaining({ deliveryId: id, attempt: 1, status: 'SUCCEEDED', statusCode: 200 })]);
});

it('retries a 500 with backoff and then succeeds (Slack message)', async () => {
  channels.set('slack', { kind: 'SLACK', url: `http://127.0.0.1:${port}/services/T/B/X` });
  script = [500, 503];
  await queue.enqueue('slack', event);
  await waitFor('success', () => attempts.find((a) => a.status === 'SUCCEEDED'));
  expect(attempts.map((a) => [a.attempt, a.status, a.statusCode])).toEqual([[1, 'RETRYING', 500], [2, 'RETRYING', 503], [3, 'SUCCEEDED', 200]]);
  expect(receiver.received).toHaveLength(3);
  // Exponential: ≥200 ms then ≥400 ms between attempts.
  const times = attempts.map((a) => a.at.getTime());
  const gaps = [(times[1] ?? 0) - (times[0] ?? 0), (times[2] ?? 0) - (times[1] ?? 0)];
  expect(gaps[0]).toBeGreaterThanOrEqual(180);
  expect(gaps[1]).toBeGreaterThanOrEqual(380);
  expect(JSON.parse(receiver.received[2]?.body ?? 'null')).toEqual({ text: expect.stringContaining(':no_entry: promotion gate failed for reg/app:1: 2 reason(s) under maxSeverity: maxSeverity: 2 CRITICAL findings') });
  expect(receiver.received[2]?.headers[SIGNATURE_HEADER.toLowerCase()]).toBeUndefined();
});

it('gives up after the last attempt and logs FAILED', async () => {
  channels.set('down', { kind: 'SLACK', url: `http://127.0.0.1:${port}/down` });
  script = [500, 500, 500, 500];
  await queue.enqueue('down', event);
  await waitFor('final failure', () => attempts.find((a) => a.status === 'FAILED'));
  expect(attempts.map((a) => a.status)).toEqual(['RETRYING', 'RETRYING', 'RETRYING', 'FAILED']);
});

it('does not retry a 4xx nor follow a redirect', async () => {
  channels.set('gone', { kind: 'SLACK', url: `http://127.0.0.1:${port}/gone` });
  script = [302];
  await queue.enqueue('gone', event);
  const failed = await waitFor('failure', () => attempts.find((a) => a.status === 'FAILED'));
  expect(failed).toMatchObject({ attempt: 1, statusCode: 302, error: expect.stringContaining('redirects are not followed') });
  expect(receiver.received).toHaveLength(1);
});

it('refuses destinations outside the policy without sending anything', async () => {
  channels.set('meta', { kind: 'WEBHOOK', url: 'http://169.254.169.254/latest/meta-data', secret: SECRET });
  channels.set('other', { kind: 'SLACK', url: 'https://not-allowed.example/x' });
  await queue.enqueue('meta', event);
  await queue.enqueue('other', event);
  await waitFor('two failures', () => (attempts.filter((a) => a.status === 'FAILED').length === 2 ? true : undefined));
  const byChannel = Object.fromEntries(attempts.map((a) => [a.channelId, a]));
  expect(byChannel['meta']).toMatchObject({ attempt: 1, status: 'FAILED', error: expect.stringMatching(/link-local/) });
  expect(byChannel['other']).toMatchObject({ attempt: 1, status: 'FAILED', error: expect.stringMatching(/not in the allow-list/) });
  expect(receiver.received).toHaveLength(0);
});

it('refuses at connect time a name that resolves to a forbidden address (DNS rebinding)', async () => {
  // `localhost` passes the allow-list check by name, then resolves to loopback: the socket lookup
  // must refuse it under a policy that forbids private addresses.
  const strict = notifyDestinationPolicy({ allowedHosts: ['localhost'] });
  const { deliverOnce } = await import('./deliver');
  await expect(deliverOnce({ kind: 'SLACK', url: `http://localhost:${port}/x` }, event, 'd', strict)).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/private or loopback/) });
  expect(receiver.received).toHaveLength(0);
});

it('queues one delivery for the same dedupe key (API replicas hearing the same finding)', async () => {
  channels.set('dup', { kind: 'SLACK', url: `http://127.0.0.1:${port}/dup` });
  const first = await queue.enqueue('dup', event, 'critical:f1');
  const second = await queue.enqueue('dup', event, 'critical:f1');
  expect(second).toBe(first);
  await waitFor('delivery', () => attempts.find((a) => a.status === 'SUCCEEDED'));
  await new Promise((r) => setTimeout(r, 300));
  expect(receiver.received).toHaveLength(1);
});
