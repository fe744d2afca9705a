import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { skipSuite } from '@bulkhead/testing';
import { generateCosignKeyPair, loadCosignPrivateKey, loadPlainPrivateKey, loadPublicKey, publicKeyToPem, samePublicKey, encryptCosignPrivateKey } from './keys';
import { sha256Digest } from './oci';
import { buildSimpleSigningPayload, signPayload, verifySimpleSigning } from './simple-signing';

/**
 * Independent checks of cosign's formats, written against cosign's spec rather than with our code:
 * openssl signs and verifies the simple-signing payload (ECDSA P-256, SHA-256, DER), and a Python
 * implementation of cosign.key's encryption (fixtures/independent_cosign_key.py: hashlib scrypt +
 * its own XSalsa20-Poly1305) decrypts keys we write and writes keys we load.
 */
function has(command: string, args: string[]): boolean {
  return spawnSync(command, args, { encoding: 'utf8' }).status === 0;
}

function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

const INDEPENDENT = path.join(__dirname, 'fixtures', 'independent_cosign_key.py');
const tools = has('openssl', ['version']) && has('python3', ['-c', 'import hashlib; hashlib.scrypt']);

if (!tools) {
  skipSuite('cosign format interop with openssl and an independent implementation', 'needs openssl and python3 (with hashlib.scrypt) on PATH');
} else {
  describe('cosign format interop with openssl and an independent implementation', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-cosign-interop-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, content?: string | Buffer) => {
      const p = path.join(dir, name);
      if (content !== undefined) writeFileSync(p, content);
      return p;
    };
    const payload = buildSimpleSigningPayload({ dockerReference: 'registry.example/app', manifestDigest: sha256Digest(Buffer.from('manifest')) });
    const digest = sha256Digest(Buffer.from('manifest'));

    it('openssl verifies a signature we make with a key from generateCosignKeyPair (openssl dgst -sha256 -verify cosign.pub)', async () => {
      const pair = await generateCosignKeyPair('pw');
      const key = await loadCosignPrivateKey(pair.privateKeyPem, 'pw');
      const signature = signPayload(key.privateKey, payload);
      file('payload', payload);
      file('cosign.pub', pair.publicKeyPem);
      file('sig.der', Buffer.from(signature, 'base64'));
      expect(run('openssl', ['dgst', '-sha256', '-verify', file('cosign.pub'), '-signature', file('sig.der'), file('payload')])).toContain('Verified OK');
      file('payload', Buffer.concat([payload, Buffer.from(' ')]));
      const tampered = spawnSync('openssl', ['dgst', '-sha256', '-verify', file('cosign.pub'), '-signature', file('sig.der'), file('payload')], { encoding: 'utf8' });
      expect(tampered.status).not.toBe(0);
      expect(tampered.stdout).toContain('Verification failure');
    });

    it('we verify a signature openssl makes (openssl dgst -sha256 -sign) over the payload', () => {
      run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file('openssl.key')]);
      run('openssl', ['pkey', '-in', file('openssl.key'), '-pubout', '-out', file('openssl.pub')]);
      file('payload', payload);
      run('openssl', ['dgst', '-sha256', '-sign', file('openssl.key'), '-out', file('openssl.sig'), file('payload')]);
      const signature = readFileSync(file('openssl.sig')).toString('base64');
      const publicKey = loadPublicKey(readFileSync(file('openssl.pub')), 'openssl.pub');
      expect(verifySimpleSigning({ payload, signature, publicKey, expectedDigest: digest })).toMatchObject({ ok: true });
      expect(verifySimpleSigning({ payload, signature, publicKey, expectedDigest: sha256Digest(Buffer.from('other')) })).toMatchObject({ ok: false, reason: 'digest-mismatch' });
    });

    it('the independent implementation decrypts a cosign.key we write to the same PKCS#8 key, which openssl reads', async () => {
      const pair = await generateCosignKeyPair('correct horse');
      const ours = await loadCosignPrivateKey(pair.privateKeyPem, 'correct horse');
      const derHex = run('python3', [INDEPENDENT, 'decrypt', 'correct horse'], pair.privateKeyPem).trim();
      expect(derHex).toBe(ours.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'));
      file('decrypted.der', Buffer.from(derHex, 'hex'));
      const pubFromOpenssl = run('openssl', ['pkey', '-inform', 'DER', '-in', file('decrypted.der'), '-pubout']);
      expect(pubFromOpenssl).toBe(pair.publicKeyPem);
      const wrong = spawnSync('python3', [INDEPENDENT, 'decrypt', 'wrong'], { input: pair.privateKeyPem, encoding: 'utf8' });
      expect(wrong.status).not.toBe(0);
    });

    it('we load a cosign.key the independent implementation writes around an openssl key, and sign with it', async () => {
      run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file('ext.key')]);
      const der = createPrivateKey(readFileSync(file('ext.key'))).export({ format: 'der', type: 'pkcs8' });
      const pem = run('python3', [INDEPENDENT, 'encrypt', 's3cret'], der.toString('hex'));
      const loaded = await loadCosignPrivateKey(pem, 's3cret');
      run('openssl', ['pkey', '-in', file('ext.key'), '-pubout', '-out', file('ext.pub')]);
      expect(samePublicKey(loaded.publicKey, loadPublicKey(readFileSync(file('ext.pub'))))).toBe(true);
      await expect(loadCosignPrivateKey(pem, 's3cret!')).rejects.toThrow('cosign.key: wrong password or corrupted key');
      file('payload', payload);
      file('sig.der', Buffer.from(signPayload(loaded.privateKey, payload), 'base64'));
      expect(run('openssl', ['dgst', '-sha256', '-verify', file('ext.pub'), '-signature', file('sig.der'), file('payload')])).toContain('Verified OK');
    });

    it('an openssl key imported into cosign’s format (import-key-pair) round-trips through the independent decryption', async () => {
      run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file('imp.key')]);
      const plain = loadPlainPrivateKey(readFileSync(file('imp.key')), 'imp.key');
      const pem = await encryptCosignPrivateKey(plain.privateKey, '');
      const derHex = run('python3', [INDEPENDENT, 'decrypt', ''], pem).trim();
      expect(derHex).toBe(plain.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'));
      expect(publicKeyToPem(plain.publicKey)).toBe(run('openssl', ['pkey', '-in', file('imp.key'), '-pubout']));
    });
  });
}
