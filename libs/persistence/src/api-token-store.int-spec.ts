import { ApiTokenStore } from './api-token-store';
import { createTestDatabase, type TestDatabase } from './testing';

describe('ApiTokenStore (real Postgres)', () => {
  let db: TestDatabase;
  let store: ApiTokenStore;

  beforeAll(async () => {
    db = await createTestDatabase('api_tokens');
    store = new ApiTokenStore(db.dataSource);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('makes one first admin token however many replicas start together, and none once a token exists', async () => {
    const made = await Promise.all(Array.from({ length: 5 }, () => store.createFirstAdmin()));
    const created = made.filter((m) => m !== null);
    expect(created).toHaveLength(1);
    expect(created[0]?.token).toMatchObject({ name: 'first-admin', team: 'default', role: 'admin', createdBy: 'serve' });
    expect(await store.createFirstAdmin()).toBeNull();
    const check = await store.verify(created[0]?.secret ?? '');
    expect(check.ok).toBe(true);
  });

  it('verifies: unknown, malformed, revoked and expired secrets are refused with their reason', async () => {
    const { token, secret } = await store.create({ name: 'x', team: 'team-a', role: 'viewer', createdBy: 'test' });
    expect((await store.verify(`${secret}x`)).ok).toBe(false);
    expect(await store.verify('bhk_short')).toEqual({ ok: false, reason: 'malformed' });
    expect(await store.verify(`bhk_${'Z'.repeat(43)}`)).toEqual({ ok: false, reason: 'unknown' });
    const later = new Date(Date.now() + 3_600_000);
    const expiring = await store.create({ name: 'y', team: 'team-a', role: 'viewer', expiresAt: later, createdBy: 'test' });
    expect((await store.verify(expiring.secret)).ok).toBe(true);
    expect(await store.verify(expiring.secret, new Date(later.getTime() + 1))).toEqual({ ok: false, reason: 'expired' });
    // Revoking is per team: another team's admin cannot revoke it.
    expect(await store.revoke(token.id, 'team-b')).toBeNull();
    const revoked = await store.revoke(token.id, 'team-a');
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect(await store.verify(secret)).toEqual({ ok: false, reason: 'revoked' });
    // Revoking again keeps the first time.
    expect((await store.revoke(token.id))?.revokedAt?.getTime()).toBe(revoked?.revokedAt?.getTime());
    expect(await store.revoke('not-a-uuid')).toBeNull();
  });

  it('refuses bad names, teams, roles and past expiries', async () => {
    await expect(store.create({ name: ' ', team: 'a', role: 'viewer', createdBy: 't' })).rejects.toThrow(/name must be 1 to 100/);
    await expect(store.create({ name: 'n', team: 'A B', role: 'viewer', createdBy: 't' })).rejects.toThrow(/team "A B" must match/);
    await expect(store.create({ name: 'n', team: 'a', role: 'owner', createdBy: 't' })).rejects.toThrow(/role "owner" must be one of viewer, operator, admin/);
    await expect(store.create({ name: 'n', team: 'a', role: 'viewer', expiresAt: new Date(Date.now() - 1), createdBy: 't' })).rejects.toThrow(/expiry must be in the future/);
  });

  it('records last use at most once per minute', async () => {
    const { token, secret } = await store.create({ name: 'z', team: 'a', role: 'viewer', createdBy: 'test' });
    const t0 = new Date();
    await (await store.verify(secret, t0)).touched;
    const second = await store.verify(secret, new Date(t0.getTime() + 30_000));
    expect(second.touched).toBeUndefined();
    expect((await store.get(token.id))?.lastUsedAt?.getTime()).toBe(t0.getTime());
    await (await store.verify(secret, new Date(t0.getTime() + 61_000))).touched;
    expect((await store.get(token.id))?.lastUsedAt?.getTime()).toBe(t0.getTime() + 61_000);
  });
});
