import { parseImageRef } from './image-ref';
import { AdmissionPolicyError, parseAdmissionPolicy } from './policy';
import { admissionResponse, MalformedReviewError, parseAdmissionReview, podImages } from './review';

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
    expect(parseAdmissionPolicy({ allowedRegistries: ['GHCR.IO'] })).toEqual({ allowedRegistries: ['ghcr.io'], unknownImages: 'deny', podSecurityVersion: 'latest', failurePolicy: 'fail-closed', dryRun: false });
  });

  it('refuses unknown fields, bad values, no rule, and the signed-image rule, naming each', () => {
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
    expect(error({})).toBe('p: no rule: set at least one of allowedRegistries, maxSeverity, podSecurityLevel');
    expect(error({ podSecurityLevel: 'baseline', trustedKeys: ['k'] })).toMatch(/^p: trustedKeys: the signed-image rule is not available/);
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
