import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { DeliveryLogSweeper, deliveryRetentionDaysFromEnv } from './delivery-retention';

/* The delivery log keeps BULKHEAD_NOTIFY_DELIVERY_RETENTION_DAYS (real Postgres). */
jest.setTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('notify_retention');
});
afterAll(async () => {
  await db?.drop();
});

const logger = { warn: () => undefined, info: () => undefined };

it('deletes attempts older than the retention, in batches, across teams, and keeps the rest', async () => {
  const now = new Date('2026-12-07T12:00:00Z');
  const day = 86_400_000;
  const rows: [string, number][] = [];
  for (let i = 0; i < 12; i++) rows.push([i % 2 ? 'blue' : 'red', 31 * day + i * 1000]);
  for (let i = 0; i < 3; i++) rows.push(['blue', 29 * day + i * 1000]);
  for (const [team, age] of rows) {
    await db.dataSource.query(
      `INSERT INTO notification_delivery (team, delivery_id, channel_id, event_type, attempt, status, duration_ms, at) VALUES ($1, $2, $3, 'gate.failed', 1, 'SUCCEEDED', 5, $4)`,
      [team, randomUUID(), randomUUID(), new Date(now.getTime() - age)],
    );
  }
  const sweeper = new DeliveryLogSweeper(db.dataSource, 30, logger, 5);
  expect(await sweeper.sweep(now)).toBe(12);
  const left = await db.dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM notification_delivery');
  expect(left[0]?.n).toBe('3');
  expect(await sweeper.sweep(now)).toBe(0);
  // Two days later the three are past 30 days too.
  expect(await sweeper.sweep(new Date(now.getTime() + 2 * day))).toBe(3);
});

it('reads the retention setting, refusing a bad value by name', () => {
  expect(deliveryRetentionDaysFromEnv({})).toBe(30);
  expect(deliveryRetentionDaysFromEnv({ BULKHEAD_NOTIFY_DELIVERY_RETENTION_DAYS: ' 7 ' })).toBe(7);
  for (const bad of ['0', '-1', '1.5', 'forever', '3651']) {
    expect(() => deliveryRetentionDaysFromEnv({ BULKHEAD_NOTIFY_DELIVERY_RETENTION_DAYS: bad })).toThrow(/^BULKHEAD_NOTIFY_DELIVERY_RETENTION_DAYS=".*": expected a whole number of days from 1 to 3650$/);
  }
});
