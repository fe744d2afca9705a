import { randomBytes, randomUUID } from 'node:crypto';
import { TaskStatus } from '@bulkhead/persistence';
import type { Redis } from 'ioredis';
import {
  AlertPublisher,
  alertsChannel,
  createRedis,
  parseRaisedAlertMessage,
  TaskCancellationListener,
  taskCancelChannel,
  TaskEventsPublisher,
  taskEventsChannel,
  type RaisedAlertMessage,
  type TaskUpdate,
} from './index';

jest.setTimeout(30_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `bhtest-pubsub-${randomBytes(4).toString('hex')}`;

/** Every message heard on the channels, in order, from a connection of the test's own. */
async function listen(channels: string[]): Promise<{ heard: [string, string][]; redis: Redis }> {
  const redis = createRedis(REDIS_URL, 'subscriber');
  const heard: [string, string][] = [];
  redis.on('message', (channel: string, message: string) => heard.push([channel, message]));
  await redis.subscribe(...channels);
  return { heard, redis };
}

async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function update(id: string, status: TaskStatus): TaskUpdate {
  return { id, kind: 'scanner', type: 'echo', status, progress: 0, progressMessage: null, error: null, attempts: 1, updatedAt: new Date().toISOString() };
}

describe('AlertPublisher', () => {
  it('publishes each alert on the installation alert channel, in order, in the wire format', async () => {
    const { heard, redis } = await listen([alertsChannel(prefix)]);
    const publisher = new AlertPublisher({ redisUrl: REDIS_URL, prefix });
    try {
      const firstSeenAt = new Date('2025-01-02T03:04:05.678Z');
      await publisher.publish([
        { id: 'a1', severity: 'HIGH', target: 'container:c1', alert: { rule: 'r1', output: 'o1' }, firstSeenAt, lastSeenAt: firstSeenAt },
        { id: 'a2', severity: 'LOW', target: 'host:h', alert: { rule: 'r2', output: 'o2' }, firstSeenAt, lastSeenAt: firstSeenAt },
      ]);
      await publisher.publish([]);
      await until('two alerts', () => heard.length === 2);
      const messages = heard.map(([channel, message]) => {
        expect(channel).toBe(`${prefix}:runtime-alerts`);
        return parseRaisedAlertMessage(message) as RaisedAlertMessage;
      });
      expect(messages).toEqual([
        { id: 'a1', severity: 'HIGH', target: 'container:c1', alert: { rule: 'r1', output: 'o1' }, firstSeenAt: '2025-01-02T03:04:05.678Z', lastSeenAt: '2025-01-02T03:04:05.678Z' },
        { id: 'a2', severity: 'LOW', target: 'host:h', alert: { rule: 'r2', output: 'o2' }, firstSeenAt: '2025-01-02T03:04:05.678Z', lastSeenAt: '2025-01-02T03:04:05.678Z' },
      ]);
    } finally {
      await publisher.close();
      redis.disconnect();
    }
  });

  it('parses only raised-alert messages', () => {
    expect(parseRaisedAlertMessage('not json')).toBeUndefined();
    expect(parseRaisedAlertMessage('null')).toBeUndefined();
    expect(parseRaisedAlertMessage(JSON.stringify({ id: 'x', severity: 'LOW', target: 't', alert: 'text', firstSeenAt: 'a', lastSeenAt: 'b' }))).toBeUndefined();
  });
});

describe('cancellations', () => {
  it('a CANCELLED task update also reaches the cancel channel; other updates do not', async () => {
    const cancelled = randomUUID();
    const running = randomUUID();
    const { heard, redis } = await listen([taskCancelChannel(prefix), taskEventsChannel(prefix, cancelled), taskEventsChannel(prefix, running)]);
    const heardByListener: string[] = [];
    const listener = new TaskCancellationListener({ redisUrl: REDIS_URL, prefix }, (id) => heardByListener.push(id));
    const publisher = new TaskEventsPublisher({ redisUrl: REDIS_URL, prefix });
    try {
      await listener.start();
      await publisher.publish(update(running, TaskStatus.RUNNING));
      await publisher.publish(update(cancelled, TaskStatus.CANCELLED));
      await until('three messages', () => heard.length === 3);
      await until('the listener', () => heardByListener.length === 1);
      expect(heard.map(([channel]) => channel)).toEqual([taskEventsChannel(prefix, running), taskEventsChannel(prefix, cancelled), `${prefix}:task-cancel`]);
      expect(heardByListener).toEqual([cancelled]);
      const producer = createRedis(REDIS_URL, 'producer');
      await producer.publish(taskCancelChannel(prefix), 'garbage').finally(() => producer.disconnect());
      await publisher.publish(update(running, TaskStatus.SUCCEEDED));
      await until('the success update', () => heard.length === 5);
      expect(heardByListener).toEqual([cancelled]);
    } finally {
      await Promise.all([publisher.close(), listener.close()]);
      redis.disconnect();
    }
  });
});
