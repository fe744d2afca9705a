import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { bundleCertificates, parseBundle } from './bundle';
import { loadPublicKey } from './keys';
import { trustedRootLogs, verifyBundleInclusionPromises, verifyLegacyRekorBundle, verifySet } from './rekor';

describeWithShared('Rekor signed entry timestamps, verified offline with a trusted root', (shared) => {
  const signing = path.join(shared, 'peers/signing');
  const publicGood = trustedRootLogs(readFileSync(path.join(signing, 'cosign/pkg/cosign/testdata/trusted_root_pgi.json')));
  const conformance = path.join(signing, 'sigstore-conformance/test/assets/bundle-verify');

  it('reads the public-good trusted root’s logs with their IDs', () => {
    expect(publicGood.map((l) => l.baseUrl)).toContain('https://rekor.sigstore.dev');
    const rekor = publicGood.find((l) => l.baseUrl === 'https://rekor.sigstore.dev');
    expect(rekor?.logIdHex).toBe('c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d');
  });

  it('sigstore-conformance managed-key-happy-path: its SET verifies with rekor.sigstore.dev’s key', () => {
    const bundle = parseBundle(readFileSync(path.join(conformance, 'managed-key-happy-path/bundle.sigstore.json')));
    const result = verifyBundleInclusionPromises(bundle, publicGood);
    expect(result).toMatchObject({ ok: true, verified: 1, unverified: 0 });
    expect(verifyBundleInclusionPromises(bundle, [])).toMatchObject({ ok: false, message: expect.stringContaining('no trusted transparency log has ID c0d23d6a') });
  });

  it('managed-key-and-trusted-root: its SET verifies with its own (staging) trusted root, not with the public-good one', () => {
    const logs = trustedRootLogs(readFileSync(path.join(conformance, 'managed-key-and-trusted-root/trusted_root.json')));
    const bundle = parseBundle(readFileSync(path.join(conformance, 'managed-key-and-trusted-root/bundle.sigstore.json')));
    expect(verifyBundleInclusionPromises(bundle, logs)).toMatchObject({ ok: true, verified: 1, unverified: 0 });
    // Its entry is in the staging log: the public-good root does not trust it.
    expect(verifyBundleInclusionPromises(bundle, publicGood)).toMatchObject({ ok: false, message: expect.stringContaining('no trusted transparency log has ID') });
  });

  it('cosign’s keyless attestation bundle: its SET verifies, and the certificate was valid at the integrated time', () => {
    const bundle = parseBundle(readFileSync(path.join(signing, 'cosign/pkg/cosign/testdata/oci-attestation.sigstore.json')));
    const result = verifyBundleInclusionPromises(bundle, publicGood);
    expect(result).toMatchObject({ ok: true, verified: 1 });
    const [leaf] = bundleCertificates(bundle) ?? [];
    const time = result.ok ? result.integratedTimes[0] : new Date(0);
    expect(new Date(leaf.validFrom) <= time && time <= new Date(leaf.validTo)).toBe(true);
  });

  it('a SET over altered entry data fails', () => {
    const doc = JSON.parse(readFileSync(path.join(conformance, 'managed-key-happy-path/bundle.sigstore.json'), 'utf8'));
    doc.verificationMaterial.tlogEntries[0].integratedTime = String(Number(doc.verificationMaterial.tlogEntries[0].integratedTime) + 1);
    expect(verifyBundleInclusionPromises(parseBundle(Buffer.from(JSON.stringify(doc))), publicGood)).toMatchObject({
      ok: false,
      message: 'tlogEntries[0]: the signed entry timestamp does not verify with the log key',
    });
  });

  describe('containers/image dir-img-cosign-key-rekor-valid (legacy dev.sigstore.cosign/bundle annotation)', () => {
    const extracted = path.join(signing, 'containers-image/extracted/dir-img-cosign-key-rekor-valid');
    const annotations = JSON.parse(readFileSync(path.join(extracted, 'layer-annotations.json'), 'utf8')).annotations;
    const payload = readFileSync(path.join(extracted, 'payload.json'));
    const signature = annotations['dev.cosignproject.cosign/signature'];
    const publicKey = loadPublicKey(readFileSync(path.join(signing, 'containers-image/signature/fixtures/cosign2.pub')));
    const rekorBundle = annotations['dev.sigstore.cosign/bundle'];

    it('its SET verifies with rekor.sigstore.dev’s key and its entry logs this signature, payload and key', () => {
      expect(verifyLegacyRekorBundle(rekorBundle, publicGood, { payload, signature, publicKey })).toMatchObject({ ok: true, log: { baseUrl: 'https://rekor.sigstore.dev' } });
    });

    it('fails for another payload, another key, or an untrusted log', () => {
      expect(verifyLegacyRekorBundle(rekorBundle, publicGood, { payload: Buffer.concat([payload, Buffer.from(' ')]), signature, publicKey })).toMatchObject({ ok: false, message: expect.stringContaining('logged digest') });
      const other = loadPublicKey(readFileSync(path.join(signing, 'containers-image/signature/fixtures/cosign.pub')));
      expect(verifyLegacyRekorBundle(rekorBundle, publicGood, { payload, signature, publicKey: other })).toMatchObject({ ok: false, message: expect.stringContaining('logged public key') });
      expect(verifyLegacyRekorBundle(rekorBundle, [], { payload, signature, publicKey })).toMatchObject({ ok: false, message: expect.stringContaining('no trusted transparency log') });
      expect(verifyLegacyRekorBundle('{"Payload":[]}', publicGood, { payload, signature, publicKey })).toMatchObject({ ok: false, message: 'rekor bundle: Payload: expected a JSON object, got an array' });
    });
  });

  it('a log key outside its validity window is refused', () => {
    const [rekor] = publicGood;
    const early = { ...rekor, validFrom: new Date('2030-01-01T00:00:00Z') };
    expect(verifySet({ body: 'e30=', integratedTime: 1_700_000_000, logIndex: 1, logIdHex: rekor.logIdHex, signedEntryTimestamp: 'AA==' }, [early])).toMatchObject({ ok: false, message: expect.stringContaining('was not valid at 2023-11-14') });
  });
});
