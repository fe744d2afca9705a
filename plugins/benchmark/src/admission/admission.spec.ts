import { createHash, generateKeyPairSync } from 'node:crypto';
import { parseImageRef } from './image-ref';
import { AdmissionPolicyError, parseAdmissionPolicy } from './policy';
import { admissionResponse, MalformedReviewError, parseAdmissionReview, podImages } from './review';
import { SignatureRule } from './signature-rule';
import type { ImageSignatureService, ImageSignatureVerdict } from '@bulkhead/plugin-sdk';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseImageRef', () => {
  it('normalises the registry as the container runtime does and reads a pinned digest', () => {
    expect(parseImageRef('nginx')).toEqual({ registry: 'docker.io', digest: null });
    expect(parseImageRef('library/nginx:1.27')).toEqual({ registry: 'docker.io', digest: null });
    expect(parseImageRef('index.docker.io/library/nginx')).toEqual({ registry: 'docker.io', digest: null });
    expect(parseImageRef(`GHCR.io/org/app:v1@${D}`)).toEqual({ registry: 'ghcr.io', digest: D });
    expect(parseImageRef('localhost/app')).toEqual({ registry: 'localhost', digest: null });
    expect(parseImageRef('registry.local:5000/app')).toEqual({ registry: 'registry.local:5000', digest: null });
    // A short or malformed digest is not a digest: never looked up as one.
    expect(parseImageRef('app@sha256:abc').digest).toBeNull();
  });
});

describe('parseAdmissionPolicy', () => {
  it('applies defaults and lower-cases registries', () => {
    expect(parseAdmissionPolicy({ allowedRegistries: ['GHCR.IO'] })).toEqual({ allowedRegistries: ['ghcr.io'], unknownImages: 'deny', podSecurityVersion: 'latest', failurePolicy: 'fail-closed', dryRun: false, apiTrustedKeys: false });
    // apiTrustedKeys alone is a rule: the signature rule with the teams' API keys only.
    expect(parseAdmissionPolicy({ apiTrustedKeys: true })).toMatchObject({ apiTrustedKeys: true });
    expect(parseAdmissionPolicy({ apiTrustedKeys: true }).trustedKeys).toBeUndefined();
  });

  it('reads trusted keys (PEM public keys, fingerprints) into key:<sha256 of the DER SPKI>', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const fingerprint = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
    const policy = parseAdmissionPolicy({ trustedKeys: [pem, `key:${'A'.repeat(64)}`, 'b'.repeat(64)] });
    expect(policy.trustedKeys).toEqual([`key:${fingerprint}`, `key:${'a'.repeat(64)}`, `key:${'b'.repeat(64)}`]);
    // Listed by admissionTrustedKeys with the PEM the file gave (none for a fingerprint).
    expect(policy.fileTrustedKeys).toEqual([
      { fingerprint: `key:${fingerprint}`, publicKey: pem, index: 0 },
      { fingerprint: `key:${'a'.repeat(64)}`, publicKey: null, index: 1 },
      { fingerprint: `key:${'b'.repeat(64)}`, publicKey: null, index: 2 },
    ]);
  });

  it('refuses unknown fields, bad values, no rule, and trusted keys it cannot read, naming each', () => {
    const error = (json: unknown) => {
      try {
        parseAdmissionPolicy(json, 'p');
      } catch (e) {
        expect(e).toBeInstanceOf(AdmissionPolicyError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(error({ maxSeverity: 'HIGH', maxSeverty: 'LOW' })).toMatch(/^p: \(root\): .*maxSeverty/);
    expect(error({ maxSeverity: 'SEVERE' })).toMatch(/^p: maxSeverity: /);
    expect(error({ allowedRegistries: ['https://ghcr.io'] })).toMatch(/^p: allowedRegistries\.0: is not a registry host name/);
    expect(error({ podSecurityLevel: 'privileged' })).toMatch(/^p: podSecurityLevel: /);
    expect(error({})).toBe('p: no rule: set at least one of allowedRegistries, maxSeverity, podSecurityLevel, trustedKeys, apiTrustedKeys');
    expect(error({ apiTrustedKeys: false })).toMatch(/^p: no rule: /);
    expect(error({ podSecurityLevel: 'baseline', apiTrustedKeys: 'yes' })).toMatch(/^p: apiTrustedKeys: /);
    expect(error({ podSecurityLevel: 'baseline', trustedKeys: ['cosign.pub'] })).toBe('p: trustedKeys.0: is neither a PEM public key nor a key fingerprint (key:<64 hex>)');
    expect(error({ trustedKeys: [] })).toMatch(/^p: trustedKeys: /);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(error({ trustedKeys: [`key:${'a'.repeat(64)}`, privatePem] })).toMatch(/^p: trustedKeys\.1: is PEM but not one `-----BEGIN PUBLIC KEY-----` block \(private keys/);
    expect(error({ trustedKeys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'] })).toMatch(/^p: trustedKeys\.0: is not a readable public key/);
  });
});

describe('parseAdmissionReview', () => {
  const request = (extra: Record<string, unknown>) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { kind: 'Pod' }, operation: 'CREATE', ...extra } });

  it('reads the pod and every image once, init and ephemeral containers included', () => {
    const spec = { initContainers: [{ image: 'a' }], containers: [{ image: 'b' }, { image: 'a' }], ephemeralContainers: [{ image: 'c' }] };
    const parsed = parseAdmissionReview(request({ object: { metadata: { name: 'p' }, spec } }));
    expect(parsed).toMatchObject({ uid: 'u', kind: 'Pod', dryRun: false, pod: { metadata: { name: 'p' }, spec } });
    expect(podImages(spec)).toEqual(['a', 'b', 'c']);
  });

  it('passes DELETE and kinds it does not judge without an object', () => {
    expect(parseAdmissionReview(request({ operation: 'DELETE' })).pod).toBeNull();
    expect(parseAdmissionReview({ ...request({}), request: { uid: 'u', kind: { kind: 'Secret' }, operation: 'CREATE' } }).pod).toBeNull();
  });

  it('names what is malformed', () => {
    const reason = (body: unknown) => {
      try {
        parseAdmissionReview(body);
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedReviewError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(reason([])).toBe('the body is not a JSON object');
    expect(reason({ ...request({}), kind: 'Other' })).toBe('kind: "Other" is not AdmissionReview');
    expect(reason(request({}))).toBe('request.object: missing or not an object (a Pod CREATE)');
    expect(reason(request({ object: { spec: {} } }))).toBe('request.object.spec.containers: missing');
    expect(reason({ ...request({}), request: { uid: 'u', kind: { kind: 'CronJob' }, operation: 'CREATE', object: { spec: { jobTemplate: {} } } } })).toBe(
      'request.object.spec.jobTemplate.spec.template: missing or not an object',
    );
    expect(reason(request({ uid: 'x'.repeat(129) }))).toMatch(/^request\.uid: /);
  });
});

describe('admissionResponse', () => {
  it('answers AdmissionReview v1 with the uid, a 403 status on denial, and warnings', () => {
    expect(admissionResponse('u', { allowed: false, reasons: ['a', 'b'], warnings: [] })).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'a; b' } },
    });
    expect(admissionResponse('u', { allowed: true, reasons: [], warnings: ['w'] })).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true, warnings: ['w'] } });
  });
});

describe('SignatureRule (trustedKeys)', () => {
  const TRUSTED = `key:${'a'.repeat(64)}`;
  const OTHER = `key:${'b'.repeat(64)}`;
  const verdict = (manifestDigest: string, verifier: string, valid: boolean, reason: string | null = null): ImageSignatureVerdict => ({ manifestDigest, format: 'cosign-legacy', verifier, identity: null, valid, reason, checkedAt: '2026-01-01T00:00:00.000Z' });
  const E = `sha256:${'e'.repeat(64)}`;
  const records = [verdict(D, TRUSTED, true), verdict(E, OTHER, true), verdict(E, TRUSTED, false, 'wrong-key')];
  const calls: (readonly string[])[] = [];
  const service: ImageSignatureService = { forDigests: async (digests) => (calls.push(digests), records.filter((r) => digests.includes(r.manifestDigest))) };
  const rule = new SignatureRule(service);
  const trusted = new Set([TRUSTED]);

  it('passes an image whose digest has a valid signature by a trusted key; one lookup for the pod', async () => {
    calls.length = 0;
    expect(await rule.reasons([`r.example/a@${D}`, `r.example/b:1@${D}`], trusted)).toEqual([]);
    expect(calls).toEqual([[D]]);
  });

  it('names the image and what was found instead: unpinned, unsigned, signed by another key, invalid', async () => {
    const F = `sha256:${'f'.repeat(64)}`;
    expect(await rule.reasons(['nginx:1.27', `r.example/e@${E}`, `r.example/f@${F}`], trusted)).toEqual([
      'image nginx:1.27: not pinned by digest, cannot check signature (trustedKeys)',
      `image r.example/e@${E}: no valid signature by a trusted key: cosign-legacy signature valid, checked with key:bbbbbbbbbbbbbbbb…, not a trusted key; cosign-legacy signature invalid (wrong-key), checked with trusted key:aaaaaaaaaaaaaaaa…`,
      `image r.example/f@${F}: no signature recorded for ${F} (unsigned, or never verified by Bulkhead)`,
    ]);
  });

  it('with no trusted key at all (apiTrustedKeys, a team with none) denies, saying so, without a lookup', async () => {
    calls.length = 0;
    expect(await rule.reasons(['nginx:1.27', `r.example/a@${D}`], new Set())).toEqual([
      'image nginx:1.27: not pinned by digest, cannot check signature (trustedKeys)',
      'no trusted key: the admission policy trusts keys added with addAdmissionTrustedKey (apiTrustedKeys) and this team has none, so no image can pass the signature rule',
    ]);
    expect(calls).toEqual([]);
  });
});
