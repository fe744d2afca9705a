import { generateKeyPairSync } from 'node:crypto';
import { decryptWithPassword, encryptWithPassword } from './encrypted';
import {
  COSIGN_PRIVATE_KEY_PEM_TYPE,
  encryptCosignPrivateKey,
  generateCosignKeyPair,
  keyAlgorithm,
  loadCosignPrivateKey,
  loadPlainPrivateKey,
  loadPublicKey,
  publicKeyToPem,
  samePublicKey,
  signBytes,
  verifyBytes,
} from './keys';
import { parsePem } from './pem';
import { SigningFormatError } from './errors';

// Vectors written by go-securesystemslib's `encrypted` package (the Go code cosign uses), from its
// encrypted_test.go (Apache-2.0): passphrase "supersecret", plaintext "reallyimportant", one per
// scrypt parameter set (Legacy, Standard, OWASP). They were made by its Marshal, which encrypts the
// JSON encoding of the value: Go encodes []byte as a base64 string, so the plaintext inside is
// "\"cmVhbGx5aW1wb3J0YW50\"" (with the quotes).
const JSON_PLAINTEXT = '"cmVhbGx5aW1wb3J0YW50"';
const GO_VECTORS = [
  '{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"WO3mVvyTwJ9vwT5/Tk5OW5WPIBUofMjcpEfrLnfY4uA="},"cipher":{"name":"nacl/secretbox","nonce":"tCy7HcTFr4uxv4Nrg/DWmncuZ148U1MX"},"ciphertext":"08n43p5G5yviPEZpO7tPPF4aZQkWiWjkv4taFdhDBA0tamKH4nw="}',
  '{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"FhzPOt9/bJG4PTq6lQ6ecG6GzaOuOy/ynG5+yRiFlNs="},"cipher":{"name":"nacl/secretbox","nonce":"aw1ng1jHaDz/tQ7V2gR9O2+IGQ8xJEuE"},"ciphertext":"HycvuLZL4sYH0BrYTh4E/H20VtAW6u5zL5Pr+IBjYLYnCPzDkq8="}',
  '{"kdf":{"name":"scrypt","params":{"N":131072,"r":8,"p":1},"salt":"m38E3kouJTtiheLQN22NQ8DTito5hrjpUIskqcd375k="},"cipher":{"name":"nacl/secretbox","nonce":"Y6PM13yA+o44pE/W1ZBwczeGnTV/m9Zc"},"ciphertext":"6H8sqj1K6B6yDjtH5AQ6lbFigg/C2yDDJc4rYJ79w9aVPImFIPI="}',
];

describe('the password-encrypted container (go-securesystemslib encrypted)', () => {
  it.each(GO_VECTORS.map((v, i) => [['legacy', 'standard', 'owasp'][i], v]))('decrypts the Go implementation’s %s vector', async (_name, vector) => {
    const plaintext = await decryptWithPassword(Buffer.from(vector), 'supersecret', 'vector');
    expect(plaintext.toString()).toBe(JSON_PLAINTEXT);
    expect(Buffer.from(JSON.parse(plaintext.toString()), 'base64').toString()).toBe('reallyimportant');
  });

  it('refuses a wrong password with a clear message', async () => {
    await expect(decryptWithPassword(Buffer.from(GO_VECTORS[0]), 'not-it', 'cosign.key')).rejects.toThrow('cosign.key: wrong password or corrupted key');
  });

  it('refuses scrypt parameters outside the known sets before deriving anything (hostile N)', async () => {
    const hostile = GO_VECTORS[1].replace('"N":65536', '"N":1073741824');
    const started = Date.now();
    await expect(decryptWithPassword(Buffer.from(hostile), 'supersecret', 'cosign.key')).rejects.toThrow(/unsupported scrypt parameters N=1073741824/);
    expect(Date.now() - started).toBeLessThan(1000);
    const odd = GO_VECTORS[1].replace('"r":8', '"r":99');
    await expect(decryptWithPassword(Buffer.from(odd), 'supersecret', 'cosign.key')).rejects.toThrow(/unsupported scrypt parameters/);
  });

  it('refuses garbage fields with messages naming them', async () => {
    const parsed = JSON.parse(GO_VECTORS[1]);
    const variant = (patch: (d: typeof parsed) => void) => {
      const d = JSON.parse(JSON.stringify(parsed));
      patch(d);
      return Buffer.from(JSON.stringify(d));
    };
    await expect(decryptWithPassword(variant((d) => (d.cipher.nonce = '%%%%')), 'x', 'k')).rejects.toThrow('k: cipher.nonce: not valid base64');
    await expect(decryptWithPassword(variant((d) => (d.cipher.nonce = 'AAAA')), 'x', 'k')).rejects.toThrow('k: cipher.nonce must be 24 bytes, got 3');
    await expect(decryptWithPassword(variant((d) => (d.cipher.name = 'aes')), 'x', 'k')).rejects.toThrow('k: unsupported cipher "aes"');
    await expect(decryptWithPassword(variant((d) => (d.kdf.name = 'pbkdf2')), 'x', 'k')).rejects.toThrow('k: unsupported key derivation "pbkdf2"');
    await expect(decryptWithPassword(variant((d) => (d.ciphertext = 'AAAA')), 'x', 'k')).rejects.toThrow('k: ciphertext shorter than its authentication tag');
    await expect(decryptWithPassword(Buffer.from('['.repeat(1000)), 'x', 'k')).rejects.toThrow('k: JSON nested deeper than 64 levels');
    await expect(decryptWithPassword(Buffer.from('not json'), 'x', 'k')).rejects.toThrow(/k: not valid JSON/);
  });

  it('writes the JSON fields in the order and encoding Go writes them', async () => {
    const out = await encryptWithPassword(Buffer.from(JSON_PLAINTEXT), 'supersecret', {
      salt: Buffer.from('FhzPOt9/bJG4PTq6lQ6ecG6GzaOuOy/ynG5+yRiFlNs=', 'base64'),
      nonce: Buffer.from('aw1ng1jHaDz/tQ7V2gR9O2+IGQ8xJEuE', 'base64'),
    });
    // Same salt, nonce, password and plaintext as the Go "Standard" vector: byte-identical output.
    expect(out.toString()).toBe(GO_VECTORS[1]);
  });
});

describe('cosign key pairs', () => {
  it('generates cosign.key / cosign.pub in cosign’s layout and loads them back', async () => {
    const pair = await generateCosignKeyPair('pw');
    const [privBlock] = parsePem(pair.privateKeyPem, 'cosign.key');
    expect(privBlock.type).toBe('ENCRYPTED SIGSTORE PRIVATE KEY');
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n$/);
    const body = JSON.parse(privBlock.der.toString());
    expect(Object.keys(body)).toEqual(['kdf', 'cipher', 'ciphertext']);
    expect(body.kdf).toEqual({ name: 'scrypt', params: { N: 65536, r: 8, p: 1 }, salt: expect.any(String) });
    expect(Buffer.from(body.kdf.salt, 'base64')).toHaveLength(32);
    expect(body.cipher).toEqual({ name: 'nacl/secretbox', nonce: expect.any(String) });
    expect(Buffer.from(body.cipher.nonce, 'base64')).toHaveLength(24);
    const [pubBlock] = parsePem(pair.publicKeyPem, 'cosign.pub');
    expect(pubBlock.type).toBe('PUBLIC KEY');

    const key = await loadCosignPrivateKey(pair.privateKeyPem, 'pw');
    expect(key.algorithm).toBe('ecdsa-p256-sha256');
    const pub = loadPublicKey(pair.publicKeyPem);
    expect(samePublicKey(pub, key.publicKey)).toBe(true);
    const sig = signBytes(key.privateKey, Buffer.from('hello'));
    expect(verifyBytes(pub, Buffer.from('hello'), sig)).toBe(true);
    expect(verifyBytes(pub, Buffer.from('hellO'), sig)).toBe(false);
  });

  it('refuses a wrong password with "cosign.key: wrong password or corrupted key"', async () => {
    const pair = await generateCosignKeyPair('right');
    await expect(loadCosignPrivateKey(pair.privateKeyPem, 'wrong')).rejects.toThrow('cosign.key: wrong password or corrupted key');
  });

  it('allows an empty password, as cosign does', async () => {
    const pair = await generateCosignKeyPair('');
    await expect(loadCosignPrivateKey(pair.privateKeyPem, '')).resolves.toMatchObject({ algorithm: 'ecdsa-p256-sha256' });
  });

  it('loads the older "ENCRYPTED COSIGN PRIVATE KEY" type', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const pem = await encryptCosignPrivateKey(privateKey, 'pw', { pemType: COSIGN_PRIVATE_KEY_PEM_TYPE });
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n/);
    await expect(loadCosignPrivateKey(pem, 'pw')).resolves.toMatchObject({ algorithm: 'ecdsa-p384-sha384' });
  });

  it('imports plain PEM private keys (PKCS#8, SEC1, PKCS#1) like cosign import-key-pair', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(loadPlainPrivateKey(ec.export({ format: 'pem', type: 'sec1' }) as string).algorithm).toBe('ecdsa-p256-sha256');
    expect(loadPlainPrivateKey(ec.export({ format: 'pem', type: 'pkcs8' }) as string).algorithm).toBe('ecdsa-p256-sha256');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(loadPlainPrivateKey(rsa.export({ format: 'pem', type: 'pkcs1' }) as string).algorithm).toBe('rsa-pkcs1v15-sha256');
  });

  it('loads RSA and Ed25519 public keys and signs/verifies with each', () => {
    for (const [type, opts] of [
      ['rsa', { modulusLength: 2048 }],
      ['ed25519', {}],
      ['ec', { namedCurve: 'P-521' }],
    ] as const) {
      const pair = generateKeyPairSync(type as 'rsa', opts as { modulusLength: number });
      const pub = loadPublicKey(publicKeyToPem(pair.publicKey));
      const sig = signBytes(pair.privateKey, Buffer.from('data'));
      expect(verifyBytes(pub, Buffer.from('data'), sig)).toBe(true);
      expect(verifyBytes(pub, Buffer.from('datA'), sig)).toBe(false);
    }
  });

  it('refuses keys of a wrong curve or size, and PEM with junk, with clear errors', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    expect(() => loadPublicKey(k1.export({ format: 'pem', type: 'spki' }) as string)).toThrow('public key: ECDSA curve secp256k1 is not supported (P-256, P-384 or P-521)');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => keyAlgorithm(small)).toThrow('key: RSA key of 1024 bits is not supported (2048 to 4096)');
    const good = publicKeyToPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    expect(() => loadPublicKey(good + 'trailing junk\n')).toThrow(/line 5 is neither blank nor a "-----BEGIN/);
    expect(() => loadPublicKey(good + good)).toThrow('public key: expected one PEM block, found 2');
    expect(() => loadPublicKey(good.replace('-----END PUBLIC KEY-----\n', ''))).toThrow('public key: the PUBLIC KEY block has no "-----END PUBLIC KEY-----" line');
    expect(() => loadPublicKey(good.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!'))).toThrow(/is not base64/);
    expect(() => loadPublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrow(/not a valid PKIX public key/);
    expect(() => loadPublicKey('')).toThrow('public key: no PEM block found');
    expect(() => loadPublicKey('x'.repeat(300 * 1024))).toThrow(/larger than the limit/);
  });

  it('refuses a cosign.key of another PEM type', async () => {
    const plain = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    await expect(loadCosignPrivateKey(plain, 'pw')).rejects.toThrow('cosign.key: PEM block is "PRIVATE KEY", expected "ENCRYPTED SIGSTORE PRIVATE KEY" or "ENCRYPTED COSIGN PRIVATE KEY"');
  });
});

describe('SigningFormatError', () => {
  it('is a permanent BadInputError (runners do not retry a wrong password)', async () => {
    const { BadInputError, isPermanentError } = await import('@bulkhead/plugin-sdk');
    const pair = await generateCosignKeyPair('a');
    const error = await loadCosignPrivateKey(pair.privateKeyPem, 'b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningFormatError);
    expect(error).toBeInstanceOf(BadInputError);
    expect(isPermanentError(error)).toBe(true);
    expect((error as Error).name).toBe('SigningFormatError');
  });
});
