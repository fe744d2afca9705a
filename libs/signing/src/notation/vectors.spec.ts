import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { decodeCbor, encodeCbor, canonicalMap, Tag } from './cbor';
import { buildCoseProtectedHeader } from './cose';
import { parseEnvelope } from './envelope';
import { HEADER, JWS_MEDIA_TYPE, COSE_MEDIA_TYPE } from './envelope-model';
import { buildJwsProtectedHeader } from './jws';
import { FileTrustStore, MemoryTrustStore, type TrustStore } from './trust-store';
import { parseTrustPolicy } from './trust-policy';
import { verifyNotationSignature, type NotationVerification } from './verify';

// One test per row of peers/signing/notation-go/SOURCE.md and notation-core-go/SOURCE.md.

const NOW = new Date('2026-01-01T00:00:00Z');

function policy(opts: { stores: string[]; identities?: string[]; level?: string; override?: Record<string, string> }) {
  return parseTrustPolicy(
    JSON.stringify({
      version: '1.0',
      trustPolicies: [
        {
          name: 'vectors',
          registryScopes: ['*'],
          signatureVerification: { level: opts.level ?? 'strict', ...(opts.override ? { override: opts.override } : {}) },
          trustStores: opts.stores,
          trustedIdentities: opts.identities ?? ['*'],
        },
      ],
    }),
  );
}

function check(result: NotationVerification, name: string) {
  return result.checks.find((c) => c.check === name);
}

describeWithShared('Notary Project vectors (notation-go)', (shared) => {
  const root = path.join(shared, 'peers/signing/notation-go');
  const file = (rel: string) => readFileSync(path.join(root, rel));
  const fileStore = new FileTrustStore(path.join(root, 'verifier/testdata/truststore'));
  const verify = (rel: string, mediaType: string, trustPolicy: ReturnType<typeof policy>, trustStore: TrustStore = fileStore, now = NOW) =>
    verifyNotationSignature({ envelope: file(rel), mediaType, artifactReference: 'registry.test/vectors@sha256:' + '0'.repeat(64), trustPolicy, trustStore, now });
  /** A store that trusts an envelope's own first certificate ("trust it directly"). */
  const trustOwnLeaf = (rel: string, mediaType: string, extra: Record<string, ReturnType<FileTrustStore['certificates']>> = {}) =>
    new MemoryTrustStore({ 'ca:own': [parseEnvelope(file(rel), mediaType).certificateChain[0]], ...extra });

  const mockTarget = 'sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e';

  it('ca_valid_sig_env.json: PS384 JWS chaining to the ca store root verifies under strict', async () => {
    const result = await verify('internal/mock/testdata/ca_valid_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['ca:valid-trust-store'], identities: ['x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=Notation Test Root'] }));
    expect(result.failure).toBeUndefined();
    expect(result.verified).toBe(true);
    expect(result.descriptor).toEqual({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: mockTarget, size: 528 });
    expect(result.checks.map((c) => [c.check, c.outcome])).toEqual([
      ['integrity', 'passed'],
      ['authenticity', 'passed'],
      ['expiry', 'passed'],
      ['authenticTimestamp', 'passed'],
      ['revocation', 'passed'],
    ]);
  });

  it('ca_valid_sig_env.json fails authenticity for an identity it is not', async () => {
    const result = await verify('internal/mock/testdata/ca_valid_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['ca:valid-trust-store'], identities: ['x509.subject: C=US, ST=WA, O=Notary, CN=someone else'] }));
    expect(result.verified).toBe(false);
    expect(result.failure?.check).toBe('authenticity');
    expect(result.failure?.message).toMatch(/matches none of the trusted identities/);
  });

  it('ca_valid_sig_env.json fails authenticity against a store without its root', async () => {
    const store = new MemoryTrustStore({ 'ca:other': fileStore.certificates('ca', 'valid-trust-store').filter((c) => !c.subjectText.includes('Notation Test Root')) });
    const result = await verify('internal/mock/testdata/ca_valid_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['ca:other'] }), store);
    expect(result.failure?.check).toBe('authenticity');
    expect(result.failure?.message).toMatch(/does not lead to a certificate of the trust stores ca:other/);
  });

  it('ca_expired_sig_env.json: signature OK, fails only on expiry (2022-07-29)', async () => {
    const strict = await verify('internal/mock/testdata/ca_expired_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['ca:valid-trust-store'] }));
    expect(strict.verified).toBe(false);
    expect(strict.failure?.check).toBe('expiry');
    expect(strict.failure?.message).toMatch(/expired at 2022-07-29/);
    expect(check(strict, 'integrity')?.outcome).toBe('passed');
    expect(check(strict, 'authenticity')?.outcome).toBe('passed');
    const permissive = await verify('internal/mock/testdata/ca_expired_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['ca:valid-trust-store'], level: 'permissive' }));
    expect(permissive.verified).toBe(true);
    expect(check(permissive, 'expiry')).toMatchObject({ action: 'log', outcome: 'failed' });
  });

  it('ca_invalid_sig_env.json: the signature fails (integrity, even under audit)', async () => {
    const result = await verify('internal/mock/testdata/ca_invalid_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['ca:valid-trust-store'], level: 'audit' }));
    expect(result.verified).toBe(false);
    expect(result.failure?.check).toBe('integrity');
  });

  it('sa_valid_sig_env.json: signingAuthority scheme verifies with the signingAuthority store', async () => {
    const result = await verify('internal/mock/testdata/sa_valid_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['signingAuthority:valid-trust-store'] }));
    expect(result.failure).toBeUndefined();
    expect(result.verified).toBe(true);
    expect(result.signedAttributes?.signingScheme).toBe('notary.x509.signingAuthority');
    expect(result.signedAttributes?.authenticSigningTime?.toISOString()).toBe('2020-11-09T07:00:00.000Z');
    expect(check(result, 'authenticTimestamp')?.message).toMatch(/authentic signing time 2020-11-09/);
  });

  it('sa_valid_sig_env.json fails under a policy with only a ca store (the scheme needs signingAuthority)', async () => {
    const result = await verify('internal/mock/testdata/sa_valid_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['ca:valid-trust-store'] }));
    expect(result.failure?.check).toBe('authenticity');
    expect(result.failure?.message).toMatch(/names no signingAuthority trust store/);
  });

  it('sa_expired_sig_env.json: signature OK, fails only on expiry', async () => {
    const result = await verify('internal/mock/testdata/sa_expired_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['signingAuthority:valid-trust-store'] }));
    expect(check(result, 'integrity')?.outcome).toBe('passed');
    expect(check(result, 'authenticity')?.outcome).toBe('passed');
    expect(result.failure?.check).toBe('expiry');
  });

  it('sa_invalid_sig_env.json: the signature fails', async () => {
    const result = await verify('internal/mock/testdata/sa_invalid_sig_env.json', JWS_MEDIA_TYPE, policy({ stores: ['signingAuthority:valid-trust-store'] }));
    expect(result.verified).toBe(false);
    expect(result.failure?.check).toBe('integrity');
  });

  for (const [rel, mediaType] of [
    ['internal/testdata/jws_signature.sig', JWS_MEDIA_TYPE],
    ['internal/testdata/cose_signature.sig', COSE_MEDIA_TYPE],
  ] as const) {
    it(`${path.basename(rel)}: signs the manifest in internal/testdata/oci-layout and verifies trusting its self-signed leaf`, async () => {
      const index = JSON.parse(file('internal/testdata/oci-layout/index.json').toString()) as { manifests: Array<{ digest: string; size: number; mediaType: string }> };
      const manifest = file(`internal/testdata/oci-layout/blobs/sha256/${index.manifests[0].digest.slice(7)}`);
      const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
      const result = await verifyNotationSignature({
        envelope: file(rel),
        mediaType,
        artifactReference: `registry.test/alpine@${digest}`,
        expectedArtifact: { digest, size: manifest.length, mediaType: index.manifests[0].mediaType },
        trustPolicy: policy({ stores: ['ca:own'], identities: ['x509.subject: C=US, ST=WA, O=Notary, CN=alpine'] }),
        trustStore: trustOwnLeaf(rel, mediaType),
        now: NOW,
      });
      expect(result.failure).toBeUndefined();
      expect(result.verified).toBe(true);
      expect(result.descriptor?.digest).toBe(digest);
    });
  }

  it('cose_signature.sig fails for another artifact than the one it signs', async () => {
    const rel = 'internal/testdata/cose_signature.sig';
    const result = await verifyNotationSignature({
      envelope: file(rel),
      mediaType: COSE_MEDIA_TYPE,
      artifactReference: 'registry.test/alpine:v2',
      expectedArtifact: { digest: mockTarget },
      trustPolicy: policy({ stores: ['ca:own'] }),
      trustStore: trustOwnLeaf(rel, COSE_MEDIA_TYPE),
      now: NOW,
    });
    expect(result.failure?.check).toBe('integrity');
    expect(result.failure?.message).toMatch(/not the artifact sha256:60043cf4/);
  });

  for (const [rel, mediaType, genTime] of [
    ['verifier/testdata/timestamp/sigEnv/jwsWithTimestamp.sig', JWS_MEDIA_TYPE, '2024-06-18T06:29:37.000Z'],
    ['verifier/testdata/timestamp/sigEnv/coseWithTimestamp.sig', COSE_MEDIA_TYPE, '2024-06-18T06:27:16.000Z'],
  ] as const) {
    it(`${path.basename(rel)}: the RFC 3161 timestamp verifies against the tsa store`, async () => {
      const result = await verify(rel, mediaType, policy({ stores: ['ca:valid-trust-store', 'tsa:test-timestamp'] }));
      expect(result.failure).toBeUndefined();
      expect(result.verified).toBe(true);
      expect(result.timestamp?.genTime.toISOString()).toBe(genTime);
      expect(result.timestamp?.chain.map((c) => c.subjectText)).toEqual([
        'C=BE, O=GlobalSign nv-sa, CN=Globalsign TSA for Advanced - G4 - 202311',
        'C=BE, O=GlobalSign nv-sa, CN=GlobalSign Timestamping CA - SHA384 - G4',
        'OU=GlobalSign Root CA - R6, O=GlobalSign, CN=GlobalSign',
      ]);
      // The TSA chain names CRL/OCSP endpoints: the result says that it was not checked.
      expect(check(result, 'authenticTimestamp')?.message).toMatch(/revocation of the TSA chain is not checked offline/);
    });

    it(`${path.basename(rel)}: a timestamp fails without a tsa store in the policy`, async () => {
      const result = await verify(rel, mediaType, policy({ stores: ['ca:valid-trust-store'] }));
      expect(result.failure?.check).toBe('authenticTimestamp');
      expect(result.failure?.message).toMatch(/names no tsa trust store/);
    });
  }

  it('withoutTimestamp.sig: verifies while its certificate is valid, fails once it expired (2033)', async () => {
    const rel = 'verifier/testdata/timestamp/sigEnv/withoutTimestamp.sig';
    const now = await verify(rel, JWS_MEDIA_TYPE, policy({ stores: ['ca:valid-trust-store', 'tsa:test-timestamp'] }));
    expect(now.failure).toBeUndefined();
    expect(now.verified).toBe(true);
    const later = await verify(rel, JWS_MEDIA_TYPE, policy({ stores: ['ca:valid-trust-store', 'tsa:test-timestamp'] }), fileStore, new Date('2034-01-01T00:00:00Z'));
    expect(later.failure?.check).toBe('authenticTimestamp');
    expect(later.failure?.message).toMatch(/no timestamp/);
  });

  it("a timestamp token moved onto another signature fails (its message imprint is the other signature's)", async () => {
    const stamped = JSON.parse(file('verifier/testdata/timestamp/sigEnv/jwsWithTimestamp.sig').toString());
    const plain = JSON.parse(file('verifier/testdata/timestamp/sigEnv/withoutTimestamp.sig').toString());
    plain.header[HEADER.timestampSignature] = stamped.header[HEADER.timestampSignature];
    const result = await verifyNotationSignature({
      envelope: Buffer.from(JSON.stringify(plain)),
      mediaType: JWS_MEDIA_TYPE,
      artifactReference: 'registry.test/vectors:latest',
      trustPolicy: policy({ stores: ['ca:valid-trust-store', 'tsa:test-timestamp'] }),
      trustStore: fileStore,
      now: NOW,
    });
    expect(check(result, 'integrity')?.outcome).toBe('passed');
    expect(result.failure?.check).toBe('authenticTimestamp');
    expect(result.failure?.message).toMatch(/message imprint is not the hash of the envelope signature/);
  });

  for (const [rel, mediaType] of [
    ['verifier/testdata/timestamp/sigEnv/jwsExpiredWithTimestamp.sig', JWS_MEDIA_TYPE],
    ['verifier/testdata/timestamp/sigEnv/coseExpiredWithTimestamp.sig', COSE_MEDIA_TYPE],
  ] as const) {
    it(`${path.basename(rel)}: the certificate expired in 2024, the timestamp proves it signed in time`, async () => {
      const store = trustOwnLeaf(rel, mediaType, { 'tsa:tsa': fileStore.certificates('tsa', 'test-timestamp') });
      const stamped = await verify(rel, mediaType, policy({ stores: ['ca:own', 'tsa:tsa'] }), store);
      expect(stamped.failure).toBeUndefined();
      expect(stamped.verified).toBe(true);
      expect(result_leafExpired(stamped)).toBe(true);
      // Not in any of the copied stores: untrusted without the test's own store.
      const untrusted = await verify(rel, mediaType, policy({ stores: ['ca:valid-trust-store', 'tsa:test-timestamp'] }));
      expect(untrusted.failure?.check).toBe('authenticity');
    });
  }
});

function result_leafExpired(result: NotationVerification): boolean {
  const leaf = result.certificateChain?.[0];
  return !!leaf && leaf.notAfter.getTime() < NOW.getTime();
}

describeWithShared('Notary Project conformance vectors (notation-core-go)', (shared) => {
  const root = path.join(shared, 'peers/signing/notation-core-go/signature');

  it('jws/testdata/conformance.json: the protected header is byte-identical', () => {
    const vector = JSON.parse(readFileSync(path.join(root, 'jws/testdata/conformance.json'), 'utf8'));
    const header = buildJwsProtectedHeader('ES256', {
      signingScheme: 'notary.x509',
      signingTime: new Date('2022-08-29T13:50:00Z'),
      expiry: new Date('2099-08-30T13:50:00Z'),
      contentType: 'application/vnd.cncf.notary.payload.v1+json',
      extendedAttributes: [
        { key: 'signedCritKey1', value: 'signedCritValue1', critical: true },
        { key: 'signedKey1', value: 'signedValue1', critical: false },
        { key: 'signedKey2', value: 'signedValue1', critical: false },
        { key: 'signedKey3', value: 'signedValue1', critical: false },
        { key: 'signedKey4', value: 'signedValue1', critical: false },
      ],
    });
    expect(header.toString('base64url')).toBe(vector.protected);
    expect(Buffer.from('{"key":"hello JWS"}').toString('base64url')).toBe(vector.payload);
  });

  it('cose/testdata/conformance.json: protected header, unprotected header and the whole COSE_Sign1 are byte-identical', () => {
    const vector = JSON.parse(readFileSync(path.join(root, 'cose/testdata/conformance.json'), 'utf8'));
    const protectedHeader = buildCoseProtectedHeader('PS384', {
      signingScheme: 'notary.x509',
      signingTime: new Date(vector.signingTime * 1000),
      expiry: new Date(vector.expiry * 1000),
      contentType: 'application/vnd.cncf.notary.payload.v1+json',
      extendedAttributes: [
        { key: 'signedCritKey1', value: 'signedCritValue1', critical: true },
        { key: 'signedKey1', value: 'signedValue1', critical: false },
      ],
    });
    expect(protectedHeader.toString('hex').toUpperCase()).toBe(vector.protectedHeaders.cborHex);
    const unprotected = encodeCbor(canonicalMap([[HEADER.signingAgent, 'NotationConformanceTest/1.0.0']]));
    expect(unprotected.toString('hex').toUpperCase()).toBe(vector.unprotectedHeaders.cborHex);
    const expected = Buffer.from(vector.expectedOutput.cborHex, 'hex');
    const decoded = decodeCbor(expected, 'the conformance output') as Tag;
    const [, , payload, signature] = decoded.value as Uint8Array[];
    expect(Buffer.from(payload).toString('hex').toUpperCase()).toBe(vector.payload);
    const rebuilt = encodeCbor(new Tag([protectedHeader, canonicalMap([[HEADER.signingAgent, 'NotationConformanceTest/1.0.0']]), Buffer.from(payload), Buffer.from(signature)], 18));
    expect(rebuilt.equals(expected)).toBe(true);
  });
});
