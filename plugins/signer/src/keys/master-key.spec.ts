import { randomBytes } from 'node:crypto';
import { masterKeyFrom, MasterKeyError, seal, unseal } from './master-key';

describe('the signer master key', () => {
  const key = randomBytes(32);

  it('reads 32 bytes of base64 from BULKHEAD_SIGNER_MASTER_KEY', () => {
    expect(masterKeyFrom({ BULKHEAD_SIGNER_MASTER_KEY: key.toString('base64') })).toEqual(key);
  });

  it.each([
    [{}, /BULKHEAD_SIGNER_MASTER_KEY is not set/],
    [{ BULKHEAD_SIGNER_MASTER_KEY: '  ' }, /is not set/],
    [{ BULKHEAD_SIGNER_MASTER_KEY: randomBytes(16).toString('base64') }, /must decode to 32 bytes \(got 16\)/],
    [{ BULKHEAD_SIGNER_MASTER_KEY: 'not base64 at all!' }, /is not base64/],
  ])('refuses %j with a message naming the variable, never its value', (env, message) => {
    expect(() => masterKeyFrom(env)).toThrow(message);
    expect(() => masterKeyFrom(env)).toThrow(MasterKeyError);
  });

  it('seals with AES-256-GCM bound to its context: opens only with the same key and context, and detects tampering', () => {
    const secret = Buffer.from('private key bytes');
    const sealed = seal(key, secret, 'team-a/key-1');
    expect(sealed.includes(secret)).toBe(false);
    expect(unseal(key, sealed, 'team-a/key-1')).toEqual(secret);
    expect(() => unseal(randomBytes(32), sealed, 'team-a/key-1')).toThrow(/does not decrypt/);
    expect(() => unseal(key, sealed, 'team-b/key-1')).toThrow(/does not decrypt/);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    expect(() => unseal(key, flipped, 'team-a/key-1')).toThrow(/does not decrypt/);
    expect(() => unseal(key, sealed.subarray(0, 10), 'team-a/key-1')).toThrow(/truncated/);
    // Two seals of the same bytes differ (fresh IV each time).
    expect(seal(key, secret, 'c').equals(seal(key, secret, 'c'))).toBe(false);
  });
});
