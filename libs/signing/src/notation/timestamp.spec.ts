import { createHash } from 'node:crypto';
import { JWS_MEDIA_TYPE, type EnvelopeFormat } from './envelope-model';
import { parseEnvelope } from './envelope';
import { signNotation } from './sign';
import { verifyTimestampToken } from './timestamp';
import { MemoryTrustStore } from './trust-store';
import { parseTrustPolicy } from './trust-policy';
import { verifyNotationSignature } from './verify';
import { makeTestPki, type TestPki } from './testing/test-pki';
import { makeTestTsa, type TestTsa } from './testing/test-tsa';

const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${createHash('sha256').update('ts').digest('hex')}`, size: 2 };
const HOUR = 3600_000;

function policy(stores: string[], verifyTimestamp?: string) {
  return parseTrustPolicy(
    JSON.stringify({
      version: '1.0',
      trustPolicies: [{ name: 'ts', registryScopes: ['*'], signatureVerification: { level: 'strict', ...(verifyTimestamp ? { verifyTimestamp } : {}) }, trustStores: stores, trustedIdentities: ['*'] }],
    }),
  );
}

describe('RFC 3161 timestamps on signatures made here', () => {
  let tsa: TestTsa;
  let pki: TestPki;
  let expiredPki: TestPki;
  beforeAll(async () => {
    tsa = await makeTestTsa();
    pki = await makeTestPki('P-256');
    // A leaf that was valid from 3 h ago to 1 h ago.
    expiredPki = await makeTestPki('P-256', { notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
  });
  const store = (p: TestPki, tsaRoots = () => [tsa.root]) => new MemoryTrustStore({ 'ca:signers': [p.root], 'tsa:tsa': tsaRoots() });
  const verify = (p: TestPki, envelope: Buffer, mediaType: string, stores = ['ca:signers', 'tsa:tsa'], trustStore = store(p), verifyTimestamp?: string) =>
    verifyNotationSignature({ envelope, mediaType, artifactReference: 'registry.test/a/b:1', trustPolicy: policy(stores, verifyTimestamp), trustStore });

  for (const format of ['jws', 'cose'] as EnvelopeFormat[]) {
    it(`${format}: signNotation with a timestamper embeds a token that verifies`, async () => {
      const signed = await signNotation({ format, descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain, timestamper: tsa.timestamper() });
      expect(parseEnvelope(signed.envelope, signed.mediaType).timestampToken).toBeDefined();
      const result = await verify(pki, signed.envelope, signed.mediaType);
      expect(result.failure).toBeUndefined();
      expect(result.verified).toBe(true);
      expect(result.timestamp?.chain.map((c) => c.subjectText)).toEqual([tsa.tsa.subjectText, tsa.root.subjectText]);
      const { lowerLimit, upperLimit } = result.timestamp ?? { lowerLimit: new Date(0), upperLimit: new Date(0) };
      expect(upperLimit.getTime() - lowerLimit.getTime()).toBe(2000); // genTime ± 1 s accuracy
    });

    it(`${format}: a certificate that has expired verifies when the timestamp is inside its validity`, async () => {
      const signingTime = new Date(Date.now() - 2 * HOUR);
      const signed = await signNotation({ format, descriptor: target, key: expiredPki.leafKey.privateKey, certificateChain: expiredPki.chain, signingTime, timestamper: tsa.timestamper({ genTime: signingTime }) });
      const stamped = await verify(expiredPki, signed.envelope, signed.mediaType);
      expect(stamped.failure).toBeUndefined();
      expect(stamped.verified).toBe(true);
    });
  }

  it('a timestamp after the certificate expired does not save it', async () => {
    const signingTime = new Date(Date.now() - 2 * HOUR);
    const signed = await signNotation({ format: 'jws', descriptor: target, key: expiredPki.leafKey.privateKey, certificateChain: expiredPki.chain, signingTime, timestamper: tsa.timestamper({ genTime: new Date(Date.now() - HOUR / 2) }) });
    const result = await verify(expiredPki, signed.envelope, JWS_MEDIA_TYPE);
    expect(result.failure?.check).toBe('authenticTimestamp');
    expect(result.failure?.message).toMatch(/bulkhead-signer.*is not valid at the timestamp/);
  });

  it('an expired certificate without a timestamp fails', async () => {
    const signed = await signNotation({ format: 'jws', descriptor: target, key: expiredPki.leafKey.privateKey, certificateChain: expiredPki.chain, signingTime: new Date(Date.now() - 2 * HOUR) });
    const result = await verify(expiredPki, signed.envelope, JWS_MEDIA_TYPE);
    expect(result.failure?.check).toBe('authenticTimestamp');
    expect(result.failure?.message).toMatch(/no timestamp/);
  });

  it('a TSA certificate without the timeStamping EKU is refused', async () => {
    const bad = await makeTestTsa({ extendedKeyUsage: ['1.3.6.1.5.5.7.3.3'] });
    const signed = await signNotation({ format: 'cose', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain, timestamper: bad.timestamper() });
    const result = await verify(pki, signed.envelope, signed.mediaType, undefined, store(pki, () => [bad.root]));
    expect(result.failure?.check).toBe('authenticTimestamp');
    expect(result.failure?.message).toMatch(/extended key usage 1.3.6.1.5.5.7.3.3, which a timeStamping certificate must not have/);
  });

  it('a TSA outside the tsa trust stores is refused', async () => {
    const other = await makeTestTsa();
    const signed = await signNotation({ format: 'jws', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain, timestamper: other.timestamper() });
    const result = await verify(pki, signed.envelope, JWS_MEDIA_TYPE);
    expect(result.failure?.check).toBe('authenticTimestamp');
    expect(result.failure?.message).toMatch(/does not lead to a certificate of the tsa trust stores/);
  });

  it('a signing-certificate attribute naming another certificate is refused', async () => {
    const signed = await signNotation({ format: 'jws', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain, timestamper: tsa.timestamper({ signingCertificate: tsa.root }) });
    const result = await verify(pki, signed.envelope, JWS_MEDIA_TYPE);
    expect(result.failure?.message).toMatch(/signing-certificate attribute names another certificate/);
  });

  it('a token over other bytes, or with a flipped byte, is refused', async () => {
    const signature = Buffer.from('the signature value');
    const other = await tsa.token(signature, { imprintOf: Buffer.from('something else') });
    await expect(verifyTimestampToken(other, signature, [tsa.root])).rejects.toThrow(/message imprint is not the hash of the envelope signature/);
    const good = await tsa.token(signature);
    await expect(verifyTimestampToken(good, signature, [tsa.root])).resolves.toMatchObject({ hashAlgorithm: 'sha256' });
    // Flip a byte of the CMS signature value at the end of the token.
    const flipped = Buffer.from(good);
    flipped[flipped.length - 5] ^= 0x01;
    await expect(verifyTimestampToken(flipped, signature, [tsa.root])).rejects.toThrow(/timestamp countersignature/);
    await expect(verifyTimestampToken(Buffer.from('garbage'), signature, [tsa.root])).rejects.toThrow(/not an RFC 3161 TimeStampToken/);
  });

  it('verifyTimestamp: afterCertExpiry skips the timestamp while the certificate is valid', async () => {
    const other = await makeTestTsa();
    const signed = await signNotation({ format: 'jws', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain, timestamper: other.timestamper() });
    const always = await verify(pki, signed.envelope, JWS_MEDIA_TYPE);
    expect(always.verified).toBe(false);
    const after = await verify(pki, signed.envelope, JWS_MEDIA_TYPE, undefined, undefined, 'afterCertExpiry');
    expect(after.verified).toBe(true);
    expect(after.checks.find((c) => c.check === 'authenticTimestamp')?.message).toMatch(/checks the timestamp only after it expires/);
  });
});
