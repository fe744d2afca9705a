import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { generateKeyPairSync } from 'node:crypto';
import { loadPublicKey, publicKeyToPem } from './keys';
import { ANNOTATIONS, checkBlob, cosignTag, MEDIA_TYPES, sha256Digest } from './oci';
import { buildSignatureImage, buildSignatureLayer, parseSignatureImage } from './signature-image';
import { buildSimpleSigningPayload, parseSimpleSigningPayload, signPayload, verifySimpleSigning } from './simple-signing';

/**
 * The shared copy stores upstream's symbolic links as small text files holding the link target
 * ("../dir-img-cosign-valid/signature-1"); follow them when the target exists.
 */
function readFixture(file: string): Buffer {
  const raw = readFileSync(file);
  const text = raw.toString();
  if (raw.length < 200 && /^\.\.\/[\w./-]+$/.test(text.trim())) {
    const target = path.join(path.dirname(file), text.trim());
    if (existsSync(target)) return readFileSync(target);
  }
  return raw;
}

/** The signature-N file of containers/image's dir: transport: "\0sigstore-json\n" + JSON. */
function readDirSignature(file: string): { payload: Buffer; signature: string; annotations: Record<string, string> } {
  const raw = readFixture(file);
  const prefix = Buffer.from('\0sigstore-json\n');
  expect(raw.subarray(0, prefix.length).equals(prefix)).toBe(true);
  const doc = JSON.parse(raw.subarray(prefix.length).toString());
  expect(doc.mimeType).toBe(MEDIA_TYPES.simpleSigning);
  return { payload: Buffer.from(doc.payload, 'base64'), signature: doc.annotations[ANNOTATIONS.signature], annotations: doc.annotations };
}

describeWithShared('cosign simple signing against containers/image vectors', (shared) => {
  const fixtures = path.join(shared, 'peers/signing/containers-image/signature/fixtures');
  const key = (name: string) => loadPublicKey(readFileSync(path.join(fixtures, name)), name);
  const vector = (dir: string, sig = 'signature-1') => ({
    manifestDigest: sha256Digest(readFixture(path.join(fixtures, dir, 'manifest.json'))),
    ...readDirSignature(path.join(fixtures, dir, sig)),
  });

  it.each([
    ['dir-img-cosign-valid', 'signature-1', 'cosign.pub'],
    ['dir-img-cosign-valid-2', 'signature-2', 'cosign.pub'],
    ['dir-img-cosign-valid-with-tag', 'signature-1', 'cosign.pub'],
    ['dir-img-cosign-key-rekor-valid', 'signature-1', 'cosign2.pub'],
  ])('%s (%s) verifies with %s', (dir, sig, pub) => {
    const v = vector(dir, sig);
    const result = verifySimpleSigning({ payload: v.payload, signature: v.signature, publicKey: key(pub), expectedDigest: v.manifestDigest });
    expect(result).toMatchObject({ ok: true, payload: { manifestDigest: v.manifestDigest } });
  });

  it('re-encodes the valid-with-tag payload byte for byte (the builder writes what cosign writes)', () => {
    const v = vector('dir-img-cosign-valid-with-tag');
    const parsed = parseSimpleSigningPayload(v.payload);
    expect(buildSimpleSigningPayload(parsed).equals(v.payload)).toBe(true);
    const plain = vector('dir-img-cosign-valid');
    expect(buildSimpleSigningPayload(parseSimpleSigningPayload(plain.payload)).equals(plain.payload)).toBe(true);
  });

  it('modified-manifest fails: digest mismatch', () => {
    const v = vector('dir-img-cosign-modified-manifest');
    expect(verifySimpleSigning({ payload: v.payload, signature: v.signature, publicKey: key('cosign.pub'), expectedDigest: v.manifestDigest })).toMatchObject({
      ok: false,
      reason: 'digest-mismatch',
      message: expect.stringContaining(`not for the image ${v.manifestDigest}`),
    });
  });

  // Upstream this vector's manifest is a schema-1 manifest with invalid signatures whose digest
  // cannot be computed; that file is not in the shared copy (only the dangling link text is). Any
  // manifest other than the signed one must fail the same way: on the digest.
  it('manifest-digest-error fails: its manifest is not the signed one (digest mismatch)', () => {
    const v = vector('dir-img-cosign-manifest-digest-error');
    expect(verifySimpleSigning({ payload: v.payload, signature: v.signature, publicKey: key('cosign.pub'), expectedDigest: v.manifestDigest })).toMatchObject({ ok: false, reason: 'digest-mismatch' });
  });

  it('unknown-cosign-key fails with cosign.pub: wrong key', () => {
    const v = readDirSignature(path.join(fixtures, 'unknown-cosign-key.signature'));
    const digest = parseSimpleSigningPayload(v.payload).manifestDigest;
    expect(verifySimpleSigning({ payload: v.payload, signature: v.signature, publicKey: key('cosign.pub'), expectedDigest: digest })).toMatchObject({ ok: false, reason: 'wrong-key' });
  });

  it('a valid signature checked with the other vendor key fails: wrong key', () => {
    const v = vector('dir-img-cosign-valid');
    expect(verifySimpleSigning({ payload: v.payload, signature: v.signature, publicKey: key('cosign2.pub'), expectedDigest: v.manifestDigest })).toMatchObject({ ok: false, reason: 'wrong-key' });
  });
});

describe('cosign simple signing', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const digest = sha256Digest(Buffer.from('a manifest'));

  it('builds cosign’s payload with sorted optional annotations and Go’s HTML escaping', () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'reg.example/app', manifestDigest: digest, optional: { z: 1, a: '<&>' } });
    expect(payload.toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"reg.example/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":{"a":"\\u003c\\u0026\\u003e","z":1}}`,
    );
  });

  it('signs and verifies; a payload for another digest, garbage signatures and payloads fail for their reasons', () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'reg.example/app', manifestDigest: digest });
    const signature = signPayload(privateKey, payload);
    expect(verifySimpleSigning({ payload, signature, publicKey, expectedDigest: digest })).toMatchObject({ ok: true });
    const other = sha256Digest(Buffer.from('another'));
    expect(verifySimpleSigning({ payload, signature, publicKey, expectedDigest: other })).toMatchObject({ ok: false, reason: 'digest-mismatch' });
    expect(verifySimpleSigning({ payload, signature: 'not base64!', publicKey, expectedDigest: digest })).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifySimpleSigning({ payload, signature: '', publicKey, expectedDigest: digest })).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifySimpleSigning({ payload, signature: 'A'.repeat(4000), publicKey, expectedDigest: digest })).toMatchObject({ ok: false, reason: 'bad-signature' });
    // Well-formed base64 that is not a DER ECDSA signature: garbage, not "another key".
    expect(verifySimpleSigning({ payload, signature: Buffer.from('hello world, not DER').toString('base64'), publicKey, expectedDigest: digest })).toMatchObject({
      ok: false,
      reason: 'bad-signature',
      message: 'signature: the signature is not an ASN.1 DER ECDSA signature (SEQUENCE of two INTEGERs)',
    });
    const der = Buffer.from(signature, 'base64');
    expect(verifySimpleSigning({ payload, signature: Buffer.concat([der, Buffer.from([0])]).toString('base64'), publicKey, expectedDigest: digest })).toMatchObject({ ok: false, reason: 'bad-signature' });
    const tampered = Buffer.from(payload.toString().replace('reg.example', 'evil.example'));
    expect(verifySimpleSigning({ payload: tampered, signature, publicKey, expectedDigest: digest })).toMatchObject({ ok: false, reason: 'wrong-key' });
    const junk = Buffer.from('{"critical":{"type":"something else"}}');
    expect(verifySimpleSigning({ payload: junk, signature: signPayload(privateKey, junk), publicKey, expectedDigest: digest })).toMatchObject({
      ok: false,
      reason: 'malformed-payload',
      message: expect.stringContaining('critical.type is "something else"'),
    });
    const deep = Buffer.from('['.repeat(500) + ']'.repeat(500));
    expect(verifySimpleSigning({ payload: deep, signature: signPayload(privateKey, deep), publicKey, expectedDigest: digest })).toMatchObject({ ok: false, reason: 'malformed-payload' });
    expect(verifySimpleSigning({ payload, signature, publicKey, expectedDigest: digest, expectedReference: 'reg.example/other' })).toMatchObject({ ok: false, reason: 'reference-mismatch' });
  });

  it('builds the .sig signatures image, appends without duplicates, and reads it back', () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'reg.example/app', manifestDigest: digest });
    const layer = buildSignatureLayer({ payload, signature: signPayload(privateKey, payload) });
    expect(layer.descriptor).toMatchObject({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', size: payload.length, digest: sha256Digest(payload) });
    const image = buildSignatureImage([layer.descriptor]);
    const manifest = JSON.parse(image.manifest.bytes.toString());
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: image.config.bytes.length, digest: sha256Digest(image.config.bytes) },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', size: payload.length, digest: sha256Digest(payload), annotations: { 'dev.cosignproject.cosign/signature': expect.any(String) } }],
    });
    // The config go-containerregistry writes for cosign's signatures image, byte for byte.
    expect(image.config.bytes.toString()).toBe(
      `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${sha256Digest(payload)}"]},"config":{}}`,
    );
    expect(cosignTag(digest)).toBe(`sha256-${digest.slice(7)}.sig`);

    const again = buildSignatureImage([layer.descriptor], image.manifest.bytes);
    expect(again.layers).toHaveLength(1);
    const otherPayload = buildSimpleSigningPayload({ dockerReference: 'reg.example/app', manifestDigest: digest, optional: { by: 'ci' } });
    const second = buildSignatureLayer({ payload: otherPayload, signature: signPayload(privateKey, otherPayload), certificatePem: 'CERT', chainPem: 'CHAIN' });
    const both = buildSignatureImage([second.descriptor], image.manifest.bytes);
    const entries = parseSignatureImage(both.manifest.bytes);
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({ certificatePem: 'CERT', chainPem: 'CHAIN', layer: { digest: sha256Digest(otherPayload) } });
    // Annotation keys in Go's map order.
    expect(Object.keys(JSON.parse(both.manifest.bytes.toString()).layers[1].annotations)).toEqual([
      'dev.cosignproject.cosign/signature',
      'dev.sigstore.cosign/certificate',
      'dev.sigstore.cosign/chain',
    ]);
    checkBlob(entries[1].layer, otherPayload);
    expect(() => checkBlob(entries[1].layer, payload)).toThrow(/bytes, the descriptor says|does not match/);
    for (const entry of entries) {
      const bytes = entry.layer.digest === sha256Digest(payload) ? payload : otherPayload;
      expect(verifySimpleSigning({ payload: bytes, signature: entry.signature, publicKey: loadPublicKey(publicKeyToPem(publicKey)), expectedDigest: digest }).ok).toBe(true);
    }
  });

  it('refuses malformed signature manifests with the field named', () => {
    expect(() => parseSignatureImage(Buffer.from('{"schemaVersion":2,"config":{},"layers":[]}'))).toThrow('signature manifest: config: mediaType must be a string');
    const noSig = { schemaVersion: 2, config: { mediaType: 'x', size: 2, digest: digest }, layers: [{ mediaType: 'x', size: 1, digest }] };
    expect(() => parseSignatureImage(Buffer.from(JSON.stringify(noSig)))).toThrow('signature manifest: layers[0] has no dev.cosignproject.cosign/signature annotation');
    const badDigest = { ...noSig, layers: [{ mediaType: 'x', size: 1, digest: 'sha256:../../etc' }] };
    expect(() => parseSignatureImage(Buffer.from(JSON.stringify(badDigest)))).toThrow(/layers\[0\]: digest: not a digest/);
  });
});
