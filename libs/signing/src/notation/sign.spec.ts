import { createHash } from 'node:crypto';
import { decodeCbor, encodeCbor, Tag } from './cbor';
import { COSE_MEDIA_TYPE, JWS_MEDIA_TYPE, type EnvelopeFormat } from './envelope-model';
import { parseEnvelope } from './envelope';
import type { Descriptor } from './payload';
import { signNotation } from './sign';
import { buildSignatureManifest, parseSignatureManifest, thumbprintsMatch } from './signature-manifest';
import { MemoryTrustStore } from './trust-store';
import { parseTrustPolicy } from './trust-policy';
import { verifyNotationSignature } from './verify';
import { verifySignatureManifest } from './verify-manifest';
import { generateTestKey, issueTestCertificate, makeTestPki, TEST_LEAF_SUBJECT, type TestKeyType, type TestPki } from './testing/test-pki';

const manifestBytes = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}');
const target: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`,
  size: manifestBytes.length,
};
const reference = `registry.test/team/app@${target.digest}`;

function policyFor(stores: string[], identities: string[] = ['*'], level = 'strict') {
  return parseTrustPolicy(
    JSON.stringify({
      version: '1.0',
      trustPolicies: [{ name: 'team', registryScopes: ['registry.test/team/app'], signatureVerification: { level }, trustStores: stores, trustedIdentities: identities }],
    }),
  );
}

const trustingIdentity = 'x509.subject: C=US, ST=WA, O=Bulkhead Test, CN=bulkhead-signer';

async function verify(pki: TestPki, envelope: Buffer, mediaType: string, options: { store?: MemoryTrustStore; identities?: string[]; now?: Date; level?: string } = {}) {
  return verifyNotationSignature({
    envelope,
    mediaType,
    artifactReference: reference,
    expectedArtifact: target,
    trustPolicy: policyFor(['ca:bulkhead'], options.identities ?? [trustingIdentity], options.level),
    trustStore: options.store ?? new MemoryTrustStore({ 'ca:bulkhead': [pki.root] }),
    now: options.now,
  });
}

describe('signNotation → verifyNotationSignature', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki('P-256');
  });

  for (const format of ['jws', 'cose'] as EnvelopeFormat[]) {
    describe(format, () => {
      const mediaType = format === 'jws' ? JWS_MEDIA_TYPE : COSE_MEDIA_TYPE;

      it('a signature made here verifies under a policy trusting the root CA', async () => {
        const signed = await signNotation({ format, descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain, signingAgent: 'bulkhead/test' });
        expect(signed.mediaType).toBe(mediaType);
        const result = await verify(pki, signed.envelope, mediaType);
        expect(result.failure).toBeUndefined();
        expect(result.verified).toBe(true);
        expect(result.descriptor).toEqual(target);
        const content = parseEnvelope(signed.envelope, mediaType);
        expect(content.algorithm).toBe('ES256');
        expect(content.signingAgent).toBe('bulkhead/test');
      });

      it('fails under a policy whose trust store does not hold its root', async () => {
        const other = await makeTestPki('P-256');
        const signed = await signNotation({ format, descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
        const result = await verify(pki, signed.envelope, mediaType, { store: new MemoryTrustStore({ 'ca:bulkhead': [other.root] }) });
        expect(result.verified).toBe(false);
        expect(result.failure?.check).toBe('authenticity');
        expect(result.failure?.message).toMatch(/does not lead to a certificate of the trust stores ca:bulkhead/);
      });

      it('fails for a trusted identity that is not the signer', async () => {
        const signed = await signNotation({ format, descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
        const result = await verify(pki, signed.envelope, mediaType, { identities: ['x509.subject: C=US, ST=WA, O=Bulkhead Test, CN=someone-else'] });
        expect(result.failure?.check).toBe('authenticity');
        expect(result.failure?.message).toMatch(/CN=bulkhead-signer\) matches none of the trusted identities/);
      });

      it('an expired signature fails under strict and is logged under permissive', async () => {
        const signingTime = new Date(Date.now() - 60_000);
        const signed = await signNotation({ format, descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain, signingTime, expiry: new Date(signingTime.getTime() + 1000) });
        const strict = await verify(pki, signed.envelope, mediaType);
        expect(strict.failure?.check).toBe('expiry');
        const permissive = await verify(pki, signed.envelope, mediaType, { level: 'permissive' });
        expect(permissive.verified).toBe(true);
        expect(permissive.checks.find((c) => c.check === 'expiry')).toMatchObject({ outcome: 'failed', action: 'log' });
      });

      it('a signature for another artifact fails integrity', async () => {
        const other = { ...target, digest: `sha256:${'1'.repeat(64)}` };
        const signed = await signNotation({ format, descriptor: other, key: pki.leafKey.privateKey, certificateChain: pki.chain });
        const result = await verify(pki, signed.envelope, mediaType);
        expect(result.failure?.check).toBe('integrity');
        expect(result.failure?.message).toMatch(/not the artifact/);
      });

      it('a certificate that expired before verification fails the authentic-timestamp check', async () => {
        const now = new Date(pki.leaf.notAfter.getTime() + 86400_000);
        const signed = await signNotation({ format, descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
        const result = await verify(pki, signed.envelope, mediaType, { now });
        expect(result.failure?.check).toBe('authenticTimestamp');
        expect(result.failure?.message).toMatch(/bulkhead-signer.*is not valid at the verification time/);
      });
    });
  }

  it('a tampered JWS payload fails integrity', async () => {
    const signed = await signNotation({ format: 'jws', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const doc = JSON.parse(signed.envelope.toString());
    const payload = JSON.parse(Buffer.from(doc.payload, 'base64url').toString());
    payload.targetArtifact.size += 1;
    doc.payload = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const result = await verify(pki, Buffer.from(JSON.stringify(doc)), JWS_MEDIA_TYPE);
    expect(result.failure?.check).toBe('integrity');
    expect(result.failure?.message).toMatch(/JWS signature does not verify/);
  });

  it('a tampered COSE payload fails integrity', async () => {
    const signed = await signNotation({ format: 'cose', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const message = decodeCbor(signed.envelope, 'test') as Tag;
    const parts = message.value as unknown[];
    const payload = Buffer.from(parts[2] as Uint8Array).toString().replace(String(target.size), String(target.size + 1));
    parts[2] = Buffer.from(payload);
    const result = await verify(pki, encodeCbor(new Tag(parts, 18)), COSE_MEDIA_TYPE);
    expect(result.failure?.check).toBe('integrity');
    expect(result.failure?.message).toMatch(/COSE signature does not verify/);
  });

  it('a swapped signing certificate (same subject, another key) fails integrity', async () => {
    const signed = await signNotation({ format: 'jws', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const impostorKey = await generateTestKey('P-256');
    const impostor = await issueTestCertificate({ subject: TEST_LEAF_SUBJECT, key: impostorKey, issuer: { certificate: pki.intermediate, key: pki.intermediateKey } });
    const doc = JSON.parse(signed.envelope.toString());
    doc.header.x5c[0] = impostor.der.toString('base64');
    const result = await verify(pki, Buffer.from(JSON.stringify(doc)), JWS_MEDIA_TYPE);
    expect(result.failure?.check).toBe('integrity');
  });

  for (const [type, algorithm] of [
    ['RSA-2048', 'PS256'],
    ['RSA-3072', 'PS384'],
    ['P-384', 'ES384'],
    ['P-521', 'ES512'],
  ] as Array<[TestKeyType, string]>) {
    it(`${type} leaf signs with ${algorithm} (JWS and COSE) and verifies`, async () => {
      const other = await makeTestPki(type);
      for (const format of ['jws', 'cose'] as EnvelopeFormat[]) {
        const signed = await signNotation({ format, descriptor: target, key: other.leafKey.privateKey, certificateChain: other.chain });
        expect(parseEnvelope(signed.envelope, signed.mediaType).algorithm).toBe(algorithm);
        const result = await verify(other, signed.envelope, signed.mediaType);
        expect(result.failure).toBeUndefined();
        expect(result.verified).toBe(true);
      }
    }, 30_000);
  }

  it('signingAuthority scheme: verifies against a signingAuthority store, with the authentic signing time', async () => {
    const signed = await signNotation({ format: 'cose', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain, signingScheme: 'notary.x509.signingAuthority' });
    const result = await verifyNotationSignature({
      envelope: signed.envelope,
      mediaType: signed.mediaType,
      artifactReference: reference,
      trustPolicy: policyFor(['signingAuthority:sa']),
      trustStore: new MemoryTrustStore({ 'signingAuthority:sa': [pki.root] }),
    });
    expect(result.failure).toBeUndefined();
    expect(result.signedAttributes?.authenticSigningTime).toBeInstanceOf(Date);
  });

  it('refuses to sign with a key that is not the certificate’s, or a chain out of order', async () => {
    const stranger = await generateTestKey('P-256');
    await expect(signNotation({ format: 'jws', descriptor: target, key: stranger.privateKey, certificateChain: pki.chain })).rejects.toThrow(/does not belong to the signing certificate/);
    await expect(signNotation({ format: 'jws', descriptor: target, key: pki.leafKey.privateKey, certificateChain: [pki.leaf, pki.root, pki.intermediate] })).rejects.toThrow(/out of order/);
  });

  it('a revocable certificate (CRL endpoint) fails strict as "revocation unavailable", passes with override revocation: skip', async () => {
    const revocable = await makeTestPki('P-256', { crlUrl: 'http://crl.invalid/leaf.crl' });
    const signed = await signNotation({ format: 'jws', descriptor: target, key: revocable.leafKey.privateKey, certificateChain: revocable.chain });
    const store = new MemoryTrustStore({ 'ca:bulkhead': [revocable.root] });
    const strict = await verify(revocable, signed.envelope, JWS_MEDIA_TYPE, { store });
    expect(strict.failure?.check).toBe('revocation');
    expect(strict.failure?.message).toMatch(/revocation unavailable: .*CN=bulkhead-signer \(CRL\).*not checked offline/);
    const skip = await verifyNotationSignature({
      envelope: signed.envelope,
      mediaType: JWS_MEDIA_TYPE,
      artifactReference: reference,
      trustStore: store,
      trustPolicy: parseTrustPolicy(
        JSON.stringify({
          version: '1.0',
          trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict', override: { revocation: 'skip' } }, trustStores: ['ca:bulkhead'], trustedIdentities: ['*'] }],
        }),
      ),
    });
    expect(skip.verified).toBe(true);
    expect(skip.checks.find((c) => c.check === 'revocation')?.outcome).toBe('skipped');
  });
});

describe('signature manifest', () => {
  it('round-trips: artifactType, empty config, one envelope layer, subject, chain thumbprints', async () => {
    const pki = await makeTestPki('P-256');
    const signed = await signNotation({ format: 'cose', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const built = buildSignatureManifest({ envelope: signed.envelope, mediaType: signed.mediaType, subject: target, certificateChain: signed.certificateChain, created: new Date('2026-01-02T03:04:05Z') });
    const json = JSON.parse(built.manifest.toString());
    expect(json).toMatchObject({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.cncf.notary.signature',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 },
      layers: [{ mediaType: 'application/cose', size: signed.envelope.length }],
      subject: target,
      annotations: { 'org.opencontainers.image.created': '2026-01-02T03:04:05Z' },
    });
    expect(built.descriptor.digest).toBe(`sha256:${createHash('sha256').update(built.manifest).digest('hex')}`);
    const parsed = parseSignatureManifest(built.manifest);
    expect(parsed.subject).toEqual(target);
    expect(parsed.envelope.digest).toBe(`sha256:${createHash('sha256').update(signed.envelope).digest('hex')}`);
    expect(parsed.thumbprints).toEqual(pki.chain.map((c) => createHash('sha256').update(c.der).digest('hex')));
    expect(thumbprintsMatch(parsed, parseEnvelope(signed.envelope, COSE_MEDIA_TYPE).certificateChain)).toBe(true);
  });

  it('reads the pre-1.1 form (config.mediaType = the signature type) and refuses other artifacts', () => {
    const legacy = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.notary.signature', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 },
      layers: [{ mediaType: 'application/jose+json', digest: `sha256:${'a'.repeat(64)}`, size: 10 }],
      subject: target,
      annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(['B'.repeat(64)]) },
    };
    expect(parseSignatureManifest(Buffer.from(JSON.stringify(legacy))).thumbprints).toEqual(['b'.repeat(64)]);
    const sbom = { ...legacy, artifactType: 'application/spdx+json' };
    expect(() => parseSignatureManifest(Buffer.from(JSON.stringify(sbom)))).toThrow(/not application\/vnd.cncf.notary.signature/);
    const twoLayers = { ...legacy, layers: [legacy.layers[0], legacy.layers[0]] };
    expect(() => parseSignatureManifest(Buffer.from(JSON.stringify(twoLayers)))).toThrow(/exactly one layer/);
    const noThumbs = { ...legacy, annotations: {} };
    expect(() => parseSignatureManifest(Buffer.from(JSON.stringify(noThumbs)))).toThrow(/lacks the io.cncf.notary.x509chain.thumbprint#S256 annotation/);
  });

  describe('verifySignatureManifest (manifest, then envelope blob, then envelope)', () => {
    let pki: TestPki;
    beforeAll(async () => {
      pki = await makeTestPki('P-256');
    });
    const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const run = async (signedFor: Descriptor, subject: Descriptor, expected: Descriptor | undefined, mutateBlob?: (b: Buffer) => Buffer) => {
      const signed = await signNotation({ format: 'jws', descriptor: signedFor, key: pki.leafKey.privateKey, certificateChain: pki.chain });
      const built = buildSignatureManifest({ envelope: signed.envelope, mediaType: signed.mediaType, subject, certificateChain: signed.certificateChain });
      const blobs = new Map([[built.layer.descriptor.digest, mutateBlob ? mutateBlob(built.layer.bytes) : built.layer.bytes]]);
      const fetched: string[] = [];
      const result = await verifySignatureManifest({
        manifest: built.manifest,
        fetchBlob: async (d) => {
          fetched.push(d.digest);
          const blob = blobs.get(d.digest);
          if (!blob) throw new Error(`no blob ${d.digest}`);
          return blob;
        },
        artifactReference: reference,
        expectedArtifact: expected,
        trustPolicy: policyFor(['ca:bulkhead'], [trustingIdentity]),
        trustStore: new MemoryTrustStore({ 'ca:bulkhead': [pki.root] }),
      });
      return { result, fetched, built };
    };

    it('verifies, fetching only the envelope blob', async () => {
      const { result, fetched, built } = await run(target, target, target);
      expect(result.failure).toBeUndefined();
      expect(result.verified).toBe(true);
      expect(fetched).toEqual([built.layer.descriptor.digest]);
      expect(result.signatureManifest?.subject).toEqual(target);
    });

    it('fails when the blob is not the one the manifest names', async () => {
      const { result } = await run(target, target, target, (b) => Buffer.concat([b, Buffer.from(' ')]));
      expect(result.failure?.message).toMatch(/envelope blob does not match its descriptor/);
    });

    it('fails when the manifest is for another artifact', async () => {
      const other = { ...target, digest: sha(Buffer.from('other')) };
      const { result, fetched } = await run(other, other, target);
      expect(result.failure?.message).toMatch(/subject is sha256:.*, not the artifact/);
      expect(fetched).toEqual([]);
    });

    it("fails when the envelope signs another artifact than the manifest's subject", async () => {
      const other = { ...target, digest: sha(Buffer.from('other')) };
      const { result } = await run(other, target, undefined);
      expect(result.failure?.check).toBe('integrity');
      expect(result.failure?.message).toMatch(/not the artifact/);
    });

    it('a manifest that is not a Notary signature is a failed integrity check', async () => {
      const result = await verifySignatureManifest({
        manifest: Buffer.from('{"schemaVersion":2}'),
        fetchBlob: async () => Buffer.alloc(0),
        artifactReference: reference,
        trustPolicy: policyFor(['ca:bulkhead']),
        trustStore: new MemoryTrustStore({ 'ca:bulkhead': [pki.root] }),
      });
      expect(result.verified).toBe(false);
      expect(result.failure?.message).toMatch(/config is not a JSON object/);
    });
  });
});

