import { generateKeyPairSync } from 'node:crypto';
import { verifyAttestation } from './attestation';
import { parseBundle, serializeBundle, verifyImageBundle } from './bundle';
import { serializeDsseEnvelope } from './dsse';
import { cosignSignStatement, cycloneDxStatement, statementBytes } from './in-toto';
import { signBytes } from './keys';
import { sha256Digest } from './oci';
import { buildDsseBundleWith, buildMessageSignatureBundleWith, keyObjectSigner, PayloadSigner, signPayloadWith, signStatementWith } from './signer';
import { buildSimpleSigningPayload, verifySimpleSigning } from './simple-signing';

describe('signing through a PayloadSigner (key providers, KMS)', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = keyObjectSigner(pair.privateKey, pair.publicKey);
  const digest = sha256Digest(Buffer.from('manifest'));

  it('makes the same formats as the KeyObject functions, each verifying', async () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'r.example/app', manifestDigest: digest });
    const signature = await signPayloadWith(signer, payload);
    expect(verifySimpleSigning({ payload, signature, publicKey: pair.publicKey, expectedDigest: digest }).ok).toBe(true);

    const envelope = await signStatementWith(signer, cycloneDxStatement(digest, 'r.example/app', { bomFormat: 'CycloneDX' }));
    expect(verifyAttestation(serializeDsseEnvelope(envelope), pair.publicKey, digest, 'https://cyclonedx.org/bom').ok).toBe(true);

    const bundle = parseBundle(serializeBundle(await buildDsseBundleWith(signer, statementBytes(cosignSignStatement(digest)))));
    expect(bundle.dsseEnvelope?.signatures).toEqual([{ sig: expect.any(String) }]);
    expect(verifyImageBundle(bundle, pair.publicKey, digest).ok).toBe(true);

    const manifest = Buffer.from('manifest');
    const message = parseBundle(serializeBundle(await buildMessageSignatureBundleWith(signer, manifest)));
    expect(verifyImageBundle(message, pair.publicKey, digest, { manifest }).ok).toBe(true);
  });

  it('refuses a signer whose signature does not verify with its public key (wrong key in the provider)', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const confused: PayloadSigner = { publicKey: pair.publicKey, sign: async (data) => signBytes(other, data) };
    await expect(signPayloadWith(confused, Buffer.from('x'))).rejects.toThrow('the signer returned a signature that does not verify with its public key');
    await expect(buildDsseBundleWith(confused, Buffer.from('{}'))).rejects.toThrow('does not verify');
  });
});
