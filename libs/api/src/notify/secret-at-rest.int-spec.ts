import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { ChannelInputError, NotificationChannelStore, type ChannelInput } from './channel-store';
import { NotifySecretBox } from './secret-box';

/* Webhook secrets at rest (real Postgres): sealed under BULKHEAD_NOTIFY_SECRET_KEY, never stored in plaintext. */
jest.setTimeout(60_000);

const box = NotifySecretBox.fromEnv({ BULKHEAD_NOTIFY_SECRET_KEY: randomBytes(32).toString('base64') });
const SECRET = `whsec-${randomBytes(12).toString('hex')}`;
const input = (over: Partial<ChannelInput> = {}): ChannelInput => ({
  name: 'hook', kind: 'WEBHOOK', url: 'https://alerts.example.com/h', secret: SECRET, onCriticalFindings: true, onFailedGates: false, runtimeAlertMinPriority: null, enabled: true, ...over,
});

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('notify_secret');
});
afterAll(async () => {
  await db?.drop();
});

interface Stored { secret: string | null; secret_sealed: Buffer | null }
const stored = async (id: string): Promise<Stored> => (await db.dataSource.query<Stored[]>('SELECT secret, secret_sealed FROM notification_channel WHERE id = $1', [id]))[0] as Stored;

it('stores only the sealed form, opens it for delivery, and keeps it on update without a secret', async () => {
  const store = new NotificationChannelStore(db.dataSource, box);
  const channel = await store.create('blue', input());
  expect(channel.hasSecret).toBe(true);
  const row = await stored(channel.id);
  expect(row.secret).toBeNull();
  expect(row.secret_sealed?.toString('latin1')).not.toContain(SECRET);
  expect(await store.target(channel.id)).toEqual({ kind: 'WEBHOOK', url: 'https://alerts.example.com/h', secret: SECRET });
  await store.update('blue', channel.id, input({ secret: null, name: 'hook2' }));
  expect(await store.target(channel.id)).toMatchObject({ secret: SECRET });
  await store.update('blue', channel.id, input({ secret: `${SECRET}-new` }));
  expect(await store.target(channel.id)).toMatchObject({ secret: `${SECRET}-new` });
  // Moved to SLACK: no secret of either form is kept.
  await store.update('blue', channel.id, input({ kind: 'SLACK', secret: null }));
  expect(await stored(channel.id)).toEqual({ secret: null, secret_sealed: null });
});

it('a sealed secret copied into another team\'s row does not open', async () => {
  const store = new NotificationChannelStore(db.dataSource, box);
  const mine = await store.create('blue', input({ name: 'mine' }));
  const theirs = await store.create('red', input({ name: 'theirs', secret: 'another-secret-of-red' }));
  await db.dataSource.query('UPDATE notification_channel SET secret_sealed = (SELECT secret_sealed FROM notification_channel WHERE id = $1) WHERE id = $2', [mine.id, theirs.id]);
  await expect(store.target(theirs.id)).rejects.toThrow(/does not decrypt/);
});

it('without the key a secret is refused naming the field, and stored ones cannot be opened', async () => {
  const keyless = new NotificationChannelStore(db.dataSource, NotifySecretBox.fromEnv({}));
  await expect(keyless.create('blue', input({ name: 'nokey' }))).rejects.toThrow(ChannelInputError);
  await expect(keyless.create('blue', input({ name: 'nokey' }))).rejects.toThrow(/^secret: BULKHEAD_NOTIFY_SECRET_KEY is not set/);
  const [count] = await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM notification_channel WHERE name = 'nokey'`);
  expect(count?.n).toBe('0');
  // A SLACK channel needs no secret: still possible.
  await expect(keyless.create('blue', input({ name: 'chat', kind: 'SLACK', secret: null }))).resolves.toMatchObject({ hasSecret: false });
  const sealedOne = await new NotificationChannelStore(db.dataSource, box).create('blue', input({ name: 'sealed' }));
  await expect(keyless.target(sealedOne.id)).rejects.toThrow(/BULKHEAD_NOTIFY_SECRET_KEY is not set/);
});

it('seals plaintext secrets stored before encryption, once, even with two replicas racing', async () => {
  const ids = Array.from({ length: 7 }, () => randomUUID());
  for (const [i, id] of ids.entries()) {
    await db.dataSource.query(`INSERT INTO notification_channel (id, team, name, kind, url, secret) VALUES ($1, 'legacy', $2, 'WEBHOOK', 'https://a.example/h', $3)`, [id, `old-${i}`, `legacy-secret-${i}-0123456789`]);
  }
  const a = new NotificationChannelStore(db.dataSource, box);
  const b = new NotificationChannelStore(db.dataSource, box);
  expect(await a.legacySecretCount()).toBe(7);
  const [x, y] = await Promise.all([a.sealLegacySecrets(3), b.sealLegacySecrets(2)]);
  expect((x ?? 0) + (y ?? 0)).toBe(7);
  expect(await a.legacySecretCount()).toBe(0);
  for (const [i, id] of ids.entries()) {
    expect((await stored(id)).secret).toBeNull();
    expect(await a.target(id)).toMatchObject({ secret: `legacy-secret-${i}-0123456789` });
  }
  // Without a key nothing is sealed (and nothing breaks).
  expect(await new NotificationChannelStore(db.dataSource, NotifySecretBox.fromEnv({})).sealLegacySecrets()).toBe(0);
});
