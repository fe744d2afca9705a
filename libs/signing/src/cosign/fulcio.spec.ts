import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { bundleCertificates, parseBundle, verifyImageBundle } from './bundle';
import { certificateIdentity, checkIdentity, trustedRootCertificateAuthorities, verifyCertificateChain } from './fulcio';
import { publicKeyFromCertificate } from './keys';
import { sha256Digest } from './oci';
import { trustedRootLogs, verifyBundleInclusionPromises, verifyLegacyRekorBundle } from './rekor';
import { verifySimpleSigning } from './simple-signing';

/**
 * Keyless cosign signatures verified offline, end to end but for SCTs: signature with the
 * certificate's key, Rekor SET with the public-good log key, the certificate chain to Fulcio's
 * root at the integrated time, and the signer identity. Trust material: cosign's
 * trusted_root_pgi.json from the shared vectors.
 */
describeWithShared('keyless (Fulcio) cosign signatures, verified offline with a trusted root (SCTs not checked)', (shared) => {
  const signing = path.join(shared, 'peers/signing');
  const trustedRoot = readFileSync(path.join(signing, 'cosign/pkg/cosign/testdata/trusted_root_pgi.json'));
  const logs = trustedRootLogs(trustedRoot);
  const authorities = trustedRootCertificateAuthorities(trustedRoot);

  it('reads the public-good Fulcio authorities', () => {
    expect(authorities.length).toBeGreaterThan(0);
    expect(authorities.every((ca) => ca.uri === 'https://fulcio.sigstore.dev')).toBe(true);
  });

  describe('containers/image dir-img-cosign-fulcio-rekor-valid (legacy .sig layer with certificate, chain and Rekor bundle)', () => {
    const dir = path.join(signing, 'containers-image/signature/fixtures/dir-img-cosign-fulcio-rekor-valid');
    const raw = readFileSync(path.join(dir, 'signature-1'));
    const doc = JSON.parse(raw.subarray(raw.indexOf(0x0a) + 1).toString());
    const payload = Buffer.from(doc.payload, 'base64');
    const annotations = doc.annotations as Record<string, string>;
    const signature = annotations['dev.cosignproject.cosign/signature'];
    const { publicKey, certificate } = publicKeyFromCertificate(annotations['dev.sigstore.cosign/certificate']);
    const digest = sha256Digest(readFileSync(path.join(dir, 'manifest.json')));

    it('verifies: signature, SET, chain at the integrated time, identity', () => {
      expect(verifySimpleSigning({ payload, signature, publicKey, expectedDigest: digest })).toMatchObject({ ok: true });
      const set = verifyLegacyRekorBundle(annotations['dev.sigstore.cosign/bundle'], logs, { payload, signature, publicKey });
      expect(set.ok).toBe(true);
      const at = set.ok ? set.integratedTime : new Date();
      const chain = verifyCertificateChain(certificate, authorities, at);
      expect(chain).toMatchObject({ ok: true, identity: { subjectAlternativeName: 'email:mitr@redhat.com', issuer: 'https://github.com/login/oauth' } });
      expect(chain.ok && chain.path.map((c) => ((c.subject as string | undefined) ?? '').split('\n').pop())).toEqual(['', 'CN=sigstore-intermediate', 'CN=sigstore']);
      expect(checkIdentity(certificateIdentity(certificate), { subjectAlternativeName: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' })).toEqual({ ok: true });
      expect(checkIdentity(certificateIdentity(certificate), { subjectAlternativeName: 'someone@example.com' })).toMatchObject({ ok: false, message: expect.stringContaining('does not match someone@example.com') });
      expect(checkIdentity(certificateIdentity(certificate), { issuer: /accounts\.google\.com/ })).toMatchObject({ ok: false });
    });

    it('the chain fails at a time outside the certificate’s ten minutes, and against authorities that did not issue it', () => {
      expect(verifyCertificateChain(certificate, authorities, new Date())).toMatchObject({ ok: false, message: expect.stringContaining('was not valid at') });
      const notation = new X509Certificate(readFileSync(path.join(signing, 'notation-go/verifier/testdata/truststore/x509/ca/valid-trust-store/NotationTestRoot.pem')));
      const set = verifyLegacyRekorBundle(annotations['dev.sigstore.cosign/bundle'], logs, { payload, signature, publicKey });
      const at = set.ok ? set.integratedTime : new Date();
      expect(verifyCertificateChain(certificate, [{ chain: [notation] }], at)).toMatchObject({ ok: false, message: expect.stringContaining('does not chain to a trusted authority') });
      expect(verifyCertificateChain(certificate, [], at)).toMatchObject({ ok: false, message: expect.stringContaining('no trusted certificate authority') });
    });
  });

  it('cosign’s keyless attestation bundle: DSSE signature, SET, chain at the integrated time', () => {
    const bundle = parseBundle(readFileSync(path.join(signing, 'cosign/pkg/cosign/testdata/oci-attestation.sigstore.json')));
    const [leaf] = bundleCertificates(bundle) ?? [];
    const promises = verifyBundleInclusionPromises(bundle, logs);
    expect(promises).toMatchObject({ ok: true, verified: 1 });
    const at = promises.ok ? promises.integratedTimes[0] : new Date();
    const chain = verifyCertificateChain(leaf, authorities, at);
    expect(chain).toMatchObject({ ok: true });
    expect(chain.ok && chain.identity.issuer).toBeTruthy();
    const subject = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
    expect(verifyImageBundle(bundle, leaf.publicKey, subject, { predicateType: 'https://cosign.sigstore.dev/attestation/v1' }).ok).toBe(true);
  });
});
