import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { parseBundle } from './bundle';
import { parseTrustedRoot, verifyKeylessImageBundle, verifyKeylessSimpleSigning } from './keyless';
import { sha256Digest } from './oci';

describeWithShared('keyless verification in one call (trusted root from the shared vectors; SCTs not checked)', (shared) => {
  const signing = path.join(shared, 'peers/signing');
  const root = parseTrustedRoot(readFileSync(path.join(signing, 'cosign/pkg/cosign/testdata/trusted_root_pgi.json')));

  describe('legacy: containers/image dir-img-cosign-fulcio-rekor-valid', () => {
    const dir = path.join(signing, 'containers-image/signature/fixtures/dir-img-cosign-fulcio-rekor-valid');
    const raw = readFileSync(path.join(dir, 'signature-1'));
    const doc = JSON.parse(raw.subarray(raw.indexOf(0x0a) + 1).toString());
    const a = doc.annotations as Record<string, string>;
    const input = {
      payload: Buffer.from(doc.payload, 'base64'),
      signature: a['dev.cosignproject.cosign/signature'],
      certificatePem: a['dev.sigstore.cosign/certificate'],
      rekorBundle: a['dev.sigstore.cosign/bundle'],
      expectedDigest: sha256Digest(readFileSync(path.join(dir, 'manifest.json'))),
      identity: { subjectAlternativeName: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' },
    };

    it('verifies with the right identity', () => {
      expect(verifyKeylessSimpleSigning(input, root)).toMatchObject({ ok: true, identity: { subjectAlternativeName: 'email:mitr@redhat.com' }, integratedTime: expect.any(Date) });
    });

    it('fails for the reason: identity, issuer, digest, missing Rekor bundle, untrusted root, missing policy', () => {
      expect(verifyKeylessSimpleSigning({ ...input, identity: { subjectAlternativeName: 'eve@example.com', issuer: input.identity.issuer } }, root)).toMatchObject({ ok: false, reason: 'identity-mismatch' });
      expect(verifyKeylessSimpleSigning({ ...input, identity: { subjectAlternativeName: /@redhat\.com$/, issuer: 'https://accounts.google.com' } }, root)).toMatchObject({ ok: false, reason: 'identity-mismatch' });
      expect(verifyKeylessSimpleSigning({ ...input, expectedDigest: sha256Digest(Buffer.from('x')) }, root)).toMatchObject({ ok: false, reason: 'digest-mismatch' });
      expect(verifyKeylessSimpleSigning({ ...input, rekorBundle: undefined }, root)).toMatchObject({ ok: false, reason: 'no-timestamp' });
      expect(verifyKeylessSimpleSigning(input, { logs: root.logs, authorities: [] })).toMatchObject({ ok: false, reason: 'untrusted-certificate' });
      expect(verifyKeylessSimpleSigning(input, { logs: [], authorities: root.authorities })).toMatchObject({ ok: false, reason: 'no-timestamp' });
      expect(() => verifyKeylessSimpleSigning({ ...input, identity: { subjectAlternativeName: 'mitr@redhat.com' } }, root)).toThrow('needs both a certificate identity and an OIDC issuer');
    });
  });

  describe('bundle: cosign’s keyless oci-attestation', () => {
    const bundle = parseBundle(readFileSync(path.join(signing, 'cosign/pkg/cosign/testdata/oci-attestation.sigstore.json')));
    const subject = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';

    it('verifies with its identity and issuer, and fails with others', () => {
      const open = verifyKeylessImageBundle(bundle, root, subject, { identity: { subjectAlternativeName: /.*/, issuer: /.*/ } });
      expect(open.ok).toBe(true);
      const identity = open.ok ? open.identity : {};
      const san = (identity.subjectAlternativeName ?? '').replace(/^(email|URI):/, '');
      expect(verifyKeylessImageBundle(bundle, root, subject, { identity: { subjectAlternativeName: san, issuer: identity.issuer ?? '' }, predicateType: 'https://cosign.sigstore.dev/attestation/v1' })).toMatchObject({
        ok: true,
        statement: { predicateType: 'https://cosign.sigstore.dev/attestation/v1' },
      });
      expect(verifyKeylessImageBundle(bundle, root, subject, { identity: { subjectAlternativeName: 'eve@example.com', issuer: identity.issuer ?? '' } })).toMatchObject({ ok: false, reason: 'identity-mismatch' });
      expect(verifyKeylessImageBundle(bundle, root, sha256Digest(Buffer.from('x')), { identity: { subjectAlternativeName: san, issuer: identity.issuer ?? '' } })).toMatchObject({ ok: false, reason: 'subject-mismatch' });
    });

    it('a log entry of a kind that cannot be tied to the signature lends no timestamp', () => {
      const doc = JSON.parse(readFileSync(path.join(signing, 'cosign/pkg/cosign/testdata/oci-attestation.sigstore.json'), 'utf8'));
      const entry = doc.verificationMaterial.tlogEntries[0];
      const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString());
      body.kind = 'intoto';
      entry.kindVersion.kind = 'intoto';
      entry.canonicalizedBody = Buffer.from(JSON.stringify(body)).toString('base64');
      expect(verifyKeylessImageBundle(parseBundle(Buffer.from(JSON.stringify(doc))), root, subject, { identity: { subjectAlternativeName: /.*/, issuer: /.*/ } })).toMatchObject({
        ok: false,
        reason: 'no-timestamp',
        message: expect.stringContaining('intoto/0.0.1 cannot be tied to this signature'),
      });
    });

    it('a key-based bundle is not keyless', () => {
      const keyBased = parseBundle(readFileSync(path.join(signing, 'sigstore-conformance/test/assets/bundle-verify/managed-key-happy-path/bundle.sigstore.json')));
      expect(verifyKeylessImageBundle(keyBased, root, subject, { identity: { subjectAlternativeName: /.*/, issuer: /.*/ } })).toMatchObject({ ok: false, reason: 'no-certificate' });
    });
  });
});
