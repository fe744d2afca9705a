import { randomBytes } from 'node:crypto';
import { NotifySecretBox, NotifySecretError } from './secret-box';

const KEY = randomBytes(32).toString('base64');
const channel = { team: 'blue', id: '6f1c2a9e-0000-4000-8000-000000000001' };

describe('NotifySecretBox', () => {
  it('seals and opens a secret bound to its channel', () => {
    const box = NotifySecretBox.fromEnv({ BULKHEAD_NOTIFY_SECRET_KEY: KEY });
    const sealed = box.seal('whsec-0123456789abcdef', channel);
    expect(sealed.toString('latin1')).not.toContain('whsec');
    expect(box.open(sealed, channel)).toBe('whsec-0123456789abcdef');
    // Copied to another channel or team, or opened with another key: refused.
    expect(() => box.open(sealed, { ...channel, team: 'red' })).toThrow(/does not decrypt/);
    expect(() => box.open(sealed, { ...channel, id: '6f1c2a9e-0000-4000-8000-000000000002' })).toThrow(/does not decrypt/);
    expect(() => NotifySecretBox.fromEnv({ BULKHEAD_NOTIFY_SECRET_KEY: randomBytes(32).toString('base64') }).open(sealed, channel)).toThrow(NotifySecretError);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => box.open(tampered, channel)).toThrow(/does not decrypt/);
    expect(() => box.open(Buffer.of(9, 1, 2), channel)).toThrow(/unknown or truncated/);
  });

  it('without the key: starts, but refuses to seal or open, naming the variable', () => {
    const box = NotifySecretBox.fromEnv({});
    expect(box.configured).toBe(false);
    expect(() => box.seal('whsec-0123456789abcdef', channel)).toThrow(/BULKHEAD_NOTIFY_SECRET_KEY is not set: the server cannot store a webhook signing secret/);
  });

  it('a malformed key stops start-up, naming the variable and never the value', () => {
    expect(() => NotifySecretBox.fromEnv({ BULKHEAD_NOTIFY_SECRET_KEY: 'not base64!' })).toThrow(/^BULKHEAD_NOTIFY_SECRET_KEY is not base64/);
    const short = randomBytes(16).toString('base64');
    expect(() => NotifySecretBox.fromEnv({ BULKHEAD_NOTIFY_SECRET_KEY: short })).toThrow('BULKHEAD_NOTIFY_SECRET_KEY must decode to 32 bytes (got 16)');
  });
});
