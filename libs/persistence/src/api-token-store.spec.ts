import { generateTokenSecret, hashTokenSecret, parseExpiry } from './api-token-store';
import { redactForAudit } from './audit-log-store';

describe('API token secrets', () => {
  it('are bhk_ and 43 base64url characters (256 random bits), different every time', () => {
    const secrets = new Set(Array.from({ length: 1000 }, generateTokenSecret));
    expect(secrets.size).toBe(1000);
    for (const secret of secrets) expect(secret).toMatch(/^bhk_[A-Za-z0-9_-]{43}$/);
  });

  it('are stored as their hex SHA-256', () => {
    expect(hashTokenSecret('bhk_abc')).toBe('c718ac4231ab053e6e5d485051bc7d340a1e40405f62d4273553a9b9851f1638');
    expect(hashTokenSecret('bhk_abc')).not.toBe(hashTokenSecret('bhk_abd'));
  });
});

describe('parseExpiry', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it.each([
    ['30d', '2026-01-31T00:00:00.000Z'],
    ['12h', '2026-01-01T12:00:00.000Z'],
    ['90m', '2026-01-01T01:30:00.000Z'],
    ['7', '2026-01-08T00:00:00.000Z'],
  ])('%s', (text, expected) => expect(parseExpiry(text, now).toISOString()).toBe(expected));

  it.each(['', 'soon', '0d', '-1d', '1w', '1.5d'])('refuses %j naming the format', (text) => expect(() => parseExpiry(text, now)).toThrow(/must look like 30d, 12h or 90m|at least 1/));
});

describe('redactForAudit', () => {
  it('hides secret-looking keys and bhk_ strings at any depth, keeps ids and the rest', () => {
    const secret = `bhk_${'a'.repeat(43)}`;
    expect(
      redactForAudit({ id: 'x', tokenId: 't', input: { source: 'oci:/a', password: 'p', nested: [{ apiKey: 'k', note: secret }] }, Authorization: 'Bearer z', private_key: '-----' }),
    ).toEqual({ id: 'x', tokenId: 't', input: { source: 'oci:/a', password: '[REDACTED]', nested: [{ apiKey: '[REDACTED]', note: '[REDACTED]' }] }, Authorization: '[REDACTED]', private_key: '[REDACTED]' });
  });

  it('bounds what it keeps: long strings cut, deep nesting and NUL bytes dropped', () => {
    const deep = redactForAudit({ a: { b: { c: { d: { e: { f: { g: 1 } } } } } } });
    expect(JSON.stringify(deep)).toContain('[…]');
    expect((redactForAudit('x'.repeat(5000)) as string).length).toBeLessThan(2100);
    expect(redactForAudit('a\0b')).toBe('ab');
  });
});
