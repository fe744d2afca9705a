import { createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { signerTestDatabase, type SignerTestDatabase } from '../testing/plugin-database';
import { LocalKeyProvider } from './local-key-provider';
import { masterKeyFrom } from './master-key';

/*
 * The local key provider on real Postgres (a schema of this suite's own): private keys sealed
 * with the master key, bound to team and key id, never selected with the public parts.
 */
describe('LocalKeyProvider (Postgres)', () => {
  let db: SignerTestDatabase;
  const master = randomBytes(32);
  const masterKey = () => master;

  beforeAll(async () => {
    db = await signerTestDatabase('keys');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('creates a P-256 key whose signatures verify with its public key; the stored private key is sealed', async () => {
    const provider = new LocalKeyProvider(db.database, 'team-a', masterKey);
    const key = await provider.create('release');
    expect(key).toMatchObject({ name: 'release', provider: 'local', algorithm: 'ECDSA_P256_SHA256', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(key.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(Object.keys(key)).not.toContain('sealedPrivateKey');
    const payload = Buffer.from('payload');
    const signature = await provider.sign(key.id, payload);
    expect(verify('sha256', payload, createPublicKey(key.publicKeyPem), signature)).toBe(true);
    const [row] = await db.database.query<{ sealed_private_key: Buffer }>('SELECT sealed_private_key FROM signer_key WHERE id = $1', [key.id]);
    expect(row?.sealed_private_key.subarray(0, 1)).toEqual(Buffer.of(1));
    expect(row?.sealed_private_key.toString('latin1')).not.toMatch(/PRIVATE KEY/);
  });

  it('is scoped to its team: another team neither lists, finds nor signs with the key', async () => {
    const a = new LocalKeyProvider(db.database, 'team-a', masterKey);
    const b = new LocalKeyProvider(db.database, 'team-b', masterKey);
    const key = await a.create('scoped');
    expect((await b.list()).map((k) => k.name)).not.toContain('scoped');
    expect(await b.find(key.id)).toBeNull();
    expect(await b.find('scoped')).toBeNull();
    await expect(b.sign(key.id, Buffer.from('x'))).rejects.toThrow(/no signing key/);
    // A sealed key copied into another team's row does not open (the seal is bound to team and id).
    await db.database.query(`INSERT INTO signer_key (team, id, name, provider, algorithm, public_key_pem, fingerprint, sealed_private_key) SELECT 'team-b', id, name, provider, algorithm, public_key_pem, fingerprint, sealed_private_key FROM signer_key WHERE team = 'team-a' AND id = $1`, [key.id]);
    await expect(b.sign(key.id, Buffer.from('x'))).rejects.toThrow(/does not decrypt/);
  });

  it('refuses a duplicate name, a bad name, a key of another curve, and a wrong master key', async () => {
    const provider = new LocalKeyProvider(db.database, 'team-c', masterKey);
    await provider.create('dup');
    await expect(provider.create('dup')).rejects.toThrow(/already exists/);
    await expect(provider.create('../etc')).rejects.toThrow(/key name/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    await expect(provider.importKey('p384', p384)).rejects.toThrow(/ECDSA P-256; this key is ec \(secp384r1\)/);
    const key = await provider.create('mk');
    const other = new LocalKeyProvider(db.database, 'team-c', () => randomBytes(32));
    await expect(other.sign(key.id, Buffer.from('x'))).rejects.toThrow(/BULKHEAD_SIGNER_MASTER_KEY is not the key it was stored with/);
  });

  it('lists public keys without a master key, and asks for it only to create or sign', async () => {
    const seeded = new LocalKeyProvider(db.database, 'team-d', masterKey);
    const key = await seeded.create('listed');
    const withoutMaster = new LocalKeyProvider(db.database, 'team-d', () => masterKeyFrom({}));
    expect((await withoutMaster.list()).map((k) => k.id)).toEqual([key.id]);
    await expect(withoutMaster.create('new')).rejects.toThrow(/BULKHEAD_SIGNER_MASTER_KEY is not set/);
    await expect(withoutMaster.sign(key.id, Buffer.from('x'))).rejects.toThrow(/BULKHEAD_SIGNER_MASTER_KEY is not set/);
  });
});
