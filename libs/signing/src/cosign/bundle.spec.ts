import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { describeWithShared } from '@bulkhead/testing';
import { buildDsseBundle, buildMessageSignatureBundle, bundleCertificates, parseBundle, serializeBundle, SigstoreBundle, verifyBundleSignature, verifyImageBundle } from './bundle';
import { checkStatement, cosignSignStatement, IN_TOTO_PAYLOAD_TYPE, parseStatement, PREDICATE_TYPES, statementBytes } from './in-toto';
import { loadPublicKey, publicKeyHint } from './keys';
import { checkBlob, MEDIA_TYPES, sha256Digest } from './oci';
import { buildBundleReferrer, EMPTY_CONFIG, parseBundleReferrer } from './referrer';

/**
 * sigstore-js (@sigstore/verify) as the independent verifier of our bundles: a trusted root with
 * no authorities, our public key found by its hint, and no transparency log / timestamp required
 * (a key-based bundle written with --tlog-upload=false carries neither).
 */
function sigstoreJsVerify(bundleBytes: Buffer, publicKey: KeyObject, artifact?: Buffer): void {
  const bundle = bundleFromJSON(JSON.parse(bundleBytes.toString()));
  const trust = toTrustMaterial(
    { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
    { [publicKeyHint(publicKey)]: { rawBytes: publicKey.export({ format: 'der', type: 'spki' }), keyDetails: 0 } } as never,
  );
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle, artifact));
}

describe('Sigstore bundles v0.3 made here', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
  const digest = sha256Digest(manifest);

  it('a DSSE bundle of cosign’s sign/v1 statement verifies with sigstore-js, and with us', () => {
    const statement = cosignSignStatement(digest, { team: 'ci' });
    expect(JSON.parse(statementBytes(statement).toString())).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: digest.slice(7) }, annotations: { team: 'ci' } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    });
    const bytes = serializeBundle(buildDsseBundle(privateKey, statementBytes(statement)));
    const doc = JSON.parse(bytes.toString());
    expect(Object.keys(doc)).toEqual(['mediaType', 'verificationMaterial', 'dsseEnvelope']);
    expect(doc.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(doc.verificationMaterial.publicKey.hint).toBe(publicKeyHint(publicKey));
    expect(doc.dsseEnvelope.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    expect(() => sigstoreJsVerify(bytes, publicKey)).not.toThrow();

    const parsed = parseBundle(bytes);
    expect(verifyImageBundle(parsed, publicKey, digest, { predicateType: PREDICATE_TYPES.cosignSign })).toMatchObject({ ok: true, statement: { predicateType: PREDICATE_TYPES.cosignSign } });
    expect(verifyImageBundle(parsed, other, digest)).toMatchObject({ ok: false, reason: 'wrong-key' });
    expect(verifyImageBundle(parsed, publicKey, sha256Digest(Buffer.from('x')))).toMatchObject({ ok: false, reason: 'subject-mismatch' });
    expect(verifyImageBundle(parsed, publicKey, digest, { predicateType: PREDICATE_TYPES.cyclonedx })).toMatchObject({ ok: false, reason: 'predicate-type-mismatch' });
  });

  it('a tampered DSSE bundle fails in sigstore-js and here', () => {
    const bundle = buildDsseBundle(privateKey, statementBytes(cosignSignStatement(digest)));
    const evil = statementBytes(cosignSignStatement(sha256Digest(Buffer.from('evil'))));
    if (!bundle.dsseEnvelope) throw new Error('expected a DSSE bundle');
    const tampered: SigstoreBundle = { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payload: evil.toString('base64') } };
    const bytes = serializeBundle(tampered);
    expect(() => sigstoreJsVerify(bytes, publicKey)).toThrow(/signature verification failed/);
    expect(verifyBundleSignature(parseBundle(bytes), publicKey)).toMatchObject({ ok: false, reason: 'wrong-key' });
  });

  it('a message-signature bundle verifies with sigstore-js over the artifact, and with us', () => {
    const bytes = serializeBundle(buildMessageSignatureBundle(privateKey, manifest));
    expect(() => sigstoreJsVerify(bytes, publicKey, manifest)).not.toThrow();
    expect(() => sigstoreJsVerify(bytes, publicKey, Buffer.from('other'))).toThrow();
    const parsed = parseBundle(bytes);
    expect(verifyImageBundle(parsed, publicKey, digest, { manifest })).toEqual({ ok: true });
    expect(verifyImageBundle(parsed, publicKey, sha256Digest(Buffer.from('x')), { manifest })).toMatchObject({ ok: false, reason: 'digest-mismatch' });
    expect(verifyBundleSignature(parsed, publicKey, Buffer.from('other'))).toMatchObject({ ok: false, reason: 'digest-mismatch' });
    expect(verifyBundleSignature(parsed, other, manifest)).toMatchObject({ ok: false, reason: 'wrong-key' });
  });

  it('builds the referrer manifest cosign writes for a bundle, and reads it back', () => {
    const bundle = serializeBundle(buildDsseBundle(privateKey, statementBytes(cosignSignStatement(digest))));
    const subject = { mediaType: MEDIA_TYPES.ociManifest, size: manifest.length, digest };
    const created = new Date('2026-01-02T03:04:05.000Z');
    const referrer = buildBundleReferrer({ bundle, subject, content: 'dsse-envelope', predicateType: PREDICATE_TYPES.cosignSign, created });
    const doc = JSON.parse(referrer.manifest.bytes.toString());
    expect(doc).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' },
      layers: [
        {
          mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          size: bundle.length,
          digest: sha256Digest(bundle),
          annotations: { 'org.opencontainers.image.title': `${sha256Digest(bundle).replace(':', '-')}.sigstore.json` },
        },
      ],
      subject,
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
        'org.opencontainers.image.created': '2026-01-02T03:04:05.000Z',
      },
    });
    expect(EMPTY_CONFIG.bytes.toString()).toBe('{}');
    expect(referrer.manifest.descriptor.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    const parsed = parseBundleReferrer(referrer.manifest.bytes);
    expect(parsed).toMatchObject({ subject, content: 'dsse-envelope', predicateType: PREDICATE_TYPES.cosignSign });
    checkBlob(parsed.bundleLayer, bundle);
    expect(verifyImageBundle(parseBundle(bundle), publicKey, digest).ok).toBe(true);
    expect(() => parseBundleReferrer(Buffer.from(JSON.stringify({ ...doc, artifactType: 'application/x' })))).toThrow(/is not application\/vnd.dev.sigstore.bundle.v0.3\+json/);
  });

  it('refuses hostile bundles with clear errors', () => {
    const good = JSON.parse(serializeBundle(buildMessageSignatureBundle(privateKey, manifest)).toString());
    const bad = (patch: (d: typeof good) => void) => {
      const d = JSON.parse(JSON.stringify(good));
      patch(d);
      return Buffer.from(JSON.stringify(d));
    };
    expect(() => parseBundle(bad((d) => (d.mediaType = 'application/json')))).toThrow(/mediaType "application\/json" is not a Sigstore bundle/);
    expect(() => parseBundle(bad((d) => delete d.messageSignature))).toThrow('holds neither messageSignature nor dsseEnvelope');
    expect(() => parseBundle(bad((d) => (d.verificationMaterial.certificate = { rawBytes: 'AA==' })))).toThrow('exactly one of publicKey, certificate, x509CertificateChain');
    expect(() => parseBundle(bad((d) => (d.dsseEnvelope = { payloadType: 'x', payload: '', signatures: [] })))).toThrow('holds both');
    expect(() => parseBundle(Buffer.from('{"a":' + '['.repeat(200) + ']'.repeat(200) + '}'))).toThrow('nested deeper than 64 levels');
    const garbageSig = parseBundle(bad((d) => (d.messageSignature.signature = '@@@')));
    expect(verifyBundleSignature(garbageSig, publicKey, manifest)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const garbageDigest = parseBundle(bad((d) => (d.messageSignature.messageDigest.algorithm = 'MD5')));
    expect(verifyBundleSignature(garbageDigest, publicKey, manifest)).toMatchObject({ ok: false, reason: 'malformed-bundle' });
    const dsse = JSON.parse(serializeBundle(buildDsseBundle(privateKey, Buffer.from('not a statement'))).toString());
    expect(verifyImageBundle(parseBundle(Buffer.from(JSON.stringify(dsse))), publicKey, digest)).toMatchObject({ ok: false, reason: 'malformed-bundle', message: expect.stringContaining('not valid JSON') });
  });
});

describeWithShared('Sigstore bundles from other implementations', (shared) => {
  const conformance = path.join(shared, 'peers/signing/sigstore-conformance/test/assets');
  const artifact = readFileSync(path.join(conformance, 'a.txt'));
  const bundleOf = (name: string) => parseBundle(readFileSync(path.join(conformance, 'bundle-verify', name, 'bundle.sigstore.json')), name);

  it.each(['managed-key-happy-path', 'managed-key-and-trusted-root'])('sigstore-conformance %s verifies with its key.pub (signature and digest; its tlog entry is not checked offline)', (name) => {
    const key = loadPublicKey(readFileSync(path.join(conformance, 'bundle-verify', name, 'key.pub')));
    const bundle = bundleOf(name);
    expect(bundle.verificationMaterial.publicKey?.hint).toBe(publicKeyHint(key));
    expect(verifyBundleSignature(bundle, key, artifact)).toEqual({ ok: true });
    expect(verifyBundleSignature(bundle, key, Buffer.concat([artifact, Buffer.from('!')]))).toMatchObject({ ok: false, reason: 'digest-mismatch' });
  });

  it('incorrect-public-key_fail: the signature verifies with its certificate, but its log entry names another key (tlog-mismatch)', () => {
    const bundle = bundleOf('incorrect-public-key_fail');
    const [leaf] = bundleCertificates(bundle) ?? [];
    expect(verifyBundleSignature(bundle, leaf.publicKey, artifact)).toEqual({
      ok: false,
      reason: 'tlog-mismatch',
      message: 'tlogEntries[0]: the logged public key is not the key that verified the signature',
    });
  });

  it('a log entry that does not describe the bundle’s signature or digest is refused (tlog-mismatch)', () => {
    const name = 'managed-key-happy-path';
    const key = loadPublicKey(readFileSync(path.join(conformance, 'bundle-verify', name, 'key.pub')));
    const doc = JSON.parse(readFileSync(path.join(conformance, 'bundle-verify', name, 'bundle.sigstore.json'), 'utf8'));
    const entry = doc.verificationMaterial.tlogEntries[0];
    const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString());
    const withBody = (patch: (b: typeof body) => void) => {
      const b = JSON.parse(JSON.stringify(body));
      patch(b);
      const d = JSON.parse(JSON.stringify(doc));
      d.verificationMaterial.tlogEntries[0].canonicalizedBody = Buffer.from(JSON.stringify(b)).toString('base64');
      return parseBundle(Buffer.from(JSON.stringify(d)));
    };
    expect(verifyBundleSignature(withBody((b) => (b.spec.data.hash.value = '00'.repeat(32))), key, artifact)).toMatchObject({ ok: false, reason: 'tlog-mismatch', message: expect.stringContaining('logged digest') });
    expect(verifyBundleSignature(withBody((b) => (b.spec.signature.content = 'AAAA')), key, artifact)).toMatchObject({ ok: false, reason: 'tlog-mismatch', message: expect.stringContaining('logged signature') });
    expect(verifyBundleSignature(withBody((b) => (b.kind = 'dsse')), key, artifact)).toMatchObject({ ok: false, reason: 'tlog-mismatch', message: expect.stringContaining('kind/apiVersion') });
    expect(verifyBundleSignature(withBody(() => undefined), key, artifact)).toEqual({ ok: true });
  });

  it('managed-key-wrong-key_fail: its key.pub is refused with a clear error', () => {
    expect(() => loadPublicKey(readFileSync(path.join(conformance, 'bundle-verify/managed-key-wrong-key_fail/key.pub')), 'key.pub')).toThrow(/^key.pub: /);
  });

  it('managed-key-no-key_fail: a key-based bundle does not verify with any other key', () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(verifyBundleSignature(bundleOf('managed-key-no-key_fail'), stranger, artifact)).toMatchObject({ ok: false, reason: 'wrong-key' });
  });

  it('cosign’s keyless oci-attestation bundle parses and its DSSE signature verifies with the embedded certificate key (chain to Fulcio, SCT and Rekor not checked: offline, no trusted root use)', () => {
    const bytes = readFileSync(path.join(shared, 'peers/signing/cosign/pkg/cosign/testdata/oci-attestation.sigstore.json'));
    const bundle = parseBundle(bytes);
    const [leaf] = bundleCertificates(bundle) ?? [];
    expect(leaf).toBeDefined();
    expect(leaf.issuer).toContain('sigstore-intermediate');
    const verified = verifyBundleSignature(bundle, leaf.publicKey);
    expect(verified.ok).toBe(true);
    const statement = parseStatement((verified.ok && verified.payload) || Buffer.alloc(0));
    expect(statement).toMatchObject({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: PREDICATE_TYPES.cosignCustom });
    const subject = `sha256:${statement.subject[0].digest.sha256}`;
    expect(checkStatement(statement, subject, PREDICATE_TYPES.cosignCustom)).toEqual({ ok: true });
    expect(verifyImageBundle(bundle, leaf.publicKey, subject, { predicateType: PREDICATE_TYPES.cosignCustom }).ok).toBe(true);
    expect(verifyImageBundle(bundle, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, subject)).toMatchObject({ ok: false, reason: 'wrong-key' });
  });
});
