import { createHash, generateKeyPairSync } from 'node:crypto';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { TeamKeyCache } from './trusted-key-cache';
import { readPublicKey } from './trusted-keys.service';

describe('TeamKeyCache', () => {
  function setup() {
    let clock = 1_000;
    const reads: string[] = [];
    const tables: Record<string, string[]> = { a: ['key:1'], b: ['key:2'] };
    const gates: (() => void)[] = [];
    let hold = false;
    const cache = new TeamKeyCache(
      async (team) => {
        reads.push(team);
        const answer = [...(tables[team] ?? [])];
        if (hold) await new Promise<void>((resolve) => gates.push(resolve));
        return answer;
      },
      2_000,
      () => clock,
    );
    return { cache, reads, tables, gates, tick: (ms: number) => (clock += ms), holdReads: (on: boolean) => (hold = on) };
  }

  it('reads a team once per TTL, per team, and again once the TTL has passed', async () => {
    const { cache, reads, tables, tick } = setup();
    expect([...(await cache.get('a'))]).toEqual(['key:1']);
    tick(1_999);
    tables['a'] = [];
    expect([...(await cache.get('a'))]).toEqual(['key:1']);
    expect([...(await cache.get('b'))]).toEqual(['key:2']);
    expect(reads).toEqual(['a', 'b']);
    tick(1);
    expect([...(await cache.get('a'))]).toEqual([]);
    expect(reads).toEqual(['a', 'b', 'a']);
  });

  it('shares one read among concurrent requests of a stale team', async () => {
    const { cache, reads } = setup();
    const answers = await Promise.all([cache.get('a'), cache.get('a'), cache.get('a')]);
    expect(answers.map((s) => [...s])).toEqual([['key:1'], ['key:1'], ['key:1']]);
    expect(reads).toEqual(['a']);
  });

  it('after invalidate reads again at once, and never stores a read that started before the change', async () => {
    const { cache, reads, tables, gates, holdReads } = setup();
    await cache.get('a');
    cache.invalidate('a');
    holdReads(true);
    const before = cache.get('a'); // reads ['key:1'], answered after the change below
    tables['a'] = ['key:3'];
    cache.invalidate('a');
    const after = cache.get('a'); // a new read: the old one predates the change
    holdReads(false);
    for (const open of gates) open();
    expect([...(await before)]).toEqual(['key:1']);
    expect([...(await after)]).toEqual(['key:3']);
    expect(reads).toEqual(['a', 'a', 'a']);
    // What is kept is the read that started after the change.
    expect([...(await cache.get('a'))]).toEqual(['key:3']);
    expect(reads).toHaveLength(3);
  });

  it('keeps nothing from a failed read: the next request reads again', async () => {
    let fail = true;
    const cache = new TeamKeyCache(async () => {
      if (fail) throw new Error('database down');
      return ['key:1'];
    });
    await expect(Promise.resolve(cache.get('a'))).rejects.toThrow('database down');
    fail = false;
    expect([...(await cache.get('a'))]).toEqual(['key:1']);
  });
});

describe('readPublicKey', () => {
  const reason = (text: string): string => {
    try {
      readPublicKey(text);
    } catch (error) {
      expect(error).toBeInstanceOf(BadInputError);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('reads ECDSA, RSA and Ed25519 public keys into the signer fingerprint and a normalised PEM', () => {
    for (const pair of [generateKeyPairSync('ec', { namedCurve: 'P-256' }), generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('ed25519')]) {
      const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const fingerprint = `key:${createHash('sha256').update(pair.publicKey.export({ type: 'spki', format: 'der' })).digest('hex')}`;
      expect(readPublicKey(`\n  ${pem.replace(/\n/g, '\r\n')}  `)).toEqual({ fingerprint, pem });
    }
  });

  it('refuses private keys, certificates, fingerprints, garbage, key types that sign nothing and oversized input, naming each', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(reason(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).toMatch(/^publicKey: not one PEM `-----BEGIN PUBLIC KEY-----` block/);
    expect(reason(`key:${'a'.repeat(64)}`)).toMatch(/^publicKey: not one PEM/);
    expect(reason('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toMatch(/^publicKey: not one PEM/);
    expect(reason('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toMatch(/^publicKey: not a readable public key: /);
    const two = (generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string).repeat(2);
    expect(reason(two)).toMatch(/^publicKey: not one PEM/);
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(reason(x25519)).toBe('publicKey: a x25519 key cannot verify image signatures (ECDSA, RSA or Ed25519 keys only)');
    expect(reason(`-----BEGIN PUBLIC KEY-----\n${'A'.repeat(17_000)}\n-----END PUBLIC KEY-----\n`)).toBe('publicKey: larger than 16384 bytes');
  });
});
