import { randomBytes } from 'node:crypto';
import { credentialBinding } from './credential-binding';
import { CredentialKeyError, openCredential, parseCredentialKey, sealCredential } from './credential-key';

describe('sealed registry credentials', () => {
  const key = randomBytes(32);
  const secret = `Basic ${Buffer.from('robot$x:token').toString('base64')}`;

  it('round-trips under the same key and binding, and the sealed bytes do not contain the secret', () => {
    const sealed = sealCredential(key, secret, credentialBinding('default', 'id-1'));
    expect(sealed.includes(Buffer.from(secret))).toBe(false);
    expect(sealed.includes(Buffer.from('robot$x'))).toBe(false);
    expect(openCredential(key, sealed, credentialBinding('default', 'id-1'))).toBe(secret);
  });

  it('does not open for another row, another team, another key, or altered bytes', () => {
    const sealed = sealCredential(key, secret, credentialBinding('default', 'id-1'));
    expect(() => openCredential(key, sealed, credentialBinding('default', 'id-2'))).toThrow(CredentialKeyError);
    expect(() => openCredential(key, sealed, credentialBinding('other', 'id-1'))).toThrow(CredentialKeyError);
    expect(() => openCredential(randomBytes(32), sealed, credentialBinding('default', 'id-1'))).toThrow(/does not open with BULKHEAD_HARBOR_CREDENTIAL_KEY/);
    const altered = Buffer.from(sealed);
    altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 1;
    expect(() => openCredential(key, altered, credentialBinding('default', 'id-1'))).toThrow(CredentialKeyError);
    expect(() => openCredential(key, Buffer.from([1, 2, 3]), 'x')).toThrow(/not in a known format/);
  });

  it('reads the key setting: unset is undefined, anything but 32 bytes of base64 is an error naming it', () => {
    expect(parseCredentialKey(undefined)).toBeUndefined();
    expect(parseCredentialKey('  ')).toBeUndefined();
    expect(parseCredentialKey(key.toString('base64'))).toEqual(key);
    expect(() => parseCredentialKey('not base64!')).toThrow(/BULKHEAD_HARBOR_CREDENTIAL_KEY is not base64/);
    expect(() => parseCredentialKey(randomBytes(16).toString('base64'))).toThrow(/must decode to 32 bytes, not 16/);
  });
});
