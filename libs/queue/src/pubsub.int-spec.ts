import { randomBytes, randomUUID } from 'node:crypto';
import { TaskStatus } from '@bulkhead/persistence';
import type { Redis } from 'ioredis';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import {
  createRedis,
  findingsRaisedChannel,
  FindingsPublisher,
  parseRaisedFinding,
  TaskCancellationListener,
  taskCancelChannel,
  TaskEventsPublisher,
  taskEventsChannel,
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

describe('FindingsPublisher', () => {
  const firstSeenAt = new Date('2025-01-02T03:04:05.678Z');
  const finding = (id: string, kind: StoredFinding['kind']): StoredFinding => ({
    id,
    kind,
    severity: 'HIGH',
    ruleId: `rule-${id}`,
    title: `title ${id}`,
    target: 'container:c1',
    location: null,
    data: { rule: 'r1', nested: { a: [1, 2] } },
    fingerprint: `fp-${id}`,
    taskId: null,
    status: 'OPEN',
    reopened: false,
    reopenedAt: null,
    firstSeenAt,
    lastSeenAt: firstSeenAt,
    resolvedAt: null,
  });

  it('publishes every finding, of any kind, on the installation findings channel, in order, with its team', async () => {
    const { heard, redis } = await listen([findingsRaisedChannel(prefix)]);
    const publisher = new FindingsPublisher({ redisUrl: REDIS_URL, prefix });
    try {
      await publisher.publish('blue', [finding('a1', 'runtime'), finding('a2', 'benchmark')]);
      await publisher.publish('red', [finding('a3', 'scanner')]);
      await publisher.publish('blue', []);
      await until('three findings', () => heard.length === 3);
      const messages = heard.map(([channel, message]) => {
        expect(channel).toBe(`${prefix}:findings-raised`);
        return parseRaisedFinding(message);
      });
      expect(messages).toEqual([
        { team: 'blue', finding: finding('a1', 'runtime') },
        { team: 'blue', finding: finding('a2', 'benchmark') },
        { team: 'red', finding: finding('a3', 'scanner') },
      ]);
    } finally {
      await publisher.close();
      redis.disconnect();
    }
  });

  it('parses only raised-finding messages', () => {
    expect(parseRaisedFinding('not json')).toBeUndefined();
    expect(parseRaisedFinding('null')).toBeUndefined();
    expect(parseRaisedFinding('[]')).toBeUndefined();
    const wire = JSON.parse(JSON.stringify({ ...finding('x', 'runtime'), team: 'blue' })) as Record<string, unknown>;
    const { team: _team, ...teamless } = wire;
    expect(parseRaisedFinding(JSON.stringify(teamless))).toBeUndefined(); // a finding of no team reaches no one
    expect(parseRaisedFinding(JSON.stringify({ ...wire, kind: 'alien' }))).toBeUndefined();
    expect(parseRaisedFinding(JSON.stringify({ ...wire, data: 'text' }))).toBeUndefined();
    expect(parseRaisedFinding(JSON.stringify({ ...wire, firstSeenAt: 'yesterday' }))).toBeUndefined();
    expect(parseRaisedFinding(JSON.stringify(wire))).toEqual({ team: 'blue', finding: finding('x', 'runtime') });
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
