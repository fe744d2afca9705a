import type { CachedToken } from './token-cache';
import { TokenCache } from './token-cache';

const token = (id: string): CachedToken => ({ id, name: id, team: 'default', role: 'viewer', expiresAt: null });

describe('TokenCache', () => {
  it('holds nothing until live, and forgets everything when it stops or starts being live', () => {
    const cache = new TokenCache();
    cache.put('h1', token('t1'), cache.begin());
    expect(cache.get('h1')).toBeUndefined();
    cache.setLive(true);
    cache.put('h1', token('t1'), cache.begin());
    expect(cache.get('h1')?.id).toBe('t1');
    cache.setLive(false);
    expect(cache.get('h1')).toBeUndefined();
    cache.setLive(true);
    expect(cache.get('h1')).toBeUndefined();
  });

  it('trusts an entry for ttlMs only', () => {
    let now = 1_000;
    const cache = new TokenCache({ ttlMs: 3_000, now: () => now });
    cache.setLive(true);
    cache.put('h1', token('t1'), cache.begin());
    now += 2_999;
    expect(cache.get('h1')?.id).toBe('t1');
    now += 1;
    expect(cache.get('h1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops a changed token, and does not store a lookup that was in flight when a change arrived', () => {
    const cache = new TokenCache();
    cache.setLive(true);
    cache.put('h1', token('t1'), cache.begin());
    cache.put('h2', token('t2'), cache.begin());
    cache.invalidate('t1');
    expect(cache.get('h1')).toBeUndefined();
    expect(cache.get('h2')?.id).toBe('t2');
    // A lookup read the row before the revocation and answers after the notification.
    const since = cache.begin();
    cache.invalidate('t3');
    cache.put('h3', token('t3'), since);
    expect(cache.get('h3')).toBeUndefined();
  });

  it('holds at most maxEntries, the oldest going first', () => {
    const cache = new TokenCache({ maxEntries: 2 });
    cache.setLive(true);
    for (const id of ['a', 'b', 'c']) cache.put(id, token(id), cache.begin());
    expect([cache.get('a'), cache.get('b')?.id, cache.get('c')?.id]).toEqual([undefined, 'b', 'c']);
    expect(cache.size).toBe(2);
  });
});
