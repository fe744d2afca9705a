import { negotiate, PRODUCED_MIME_TYPES, SBOM_REPORT, VULN_REPORT, HARBOR_VULN_REPORT, isContentType, SCAN_REQUEST_TYPES } from './media-types';
import { basicCredentials, parseScanRequest, scanTarget } from './scan-request';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const AUTH = `Basic ${Buffer.from('robot$harbor:s3cret:with:colons').toString('base64')}`;

function request(overrides: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      registry: { url: 'https://core.harbor.domain', authorization: AUTH },
      artifact: { repository: 'library/mongo', digest: DIGEST, tag: '3.14-xenial', mime_type: 'application/vnd.docker.distribution.manifest.v2+json' },
      ...overrides,
    }),
  );
}

function problemOf(body: Buffer): { status: number; message: string } {
  const parsed = parseScanRequest(body);
  if (!('problem' in parsed)) throw new Error('expected a problem');
  return parsed.problem;
}

describe('Harbor ScanRequest', () => {
  it('accepts a request as Harbor sends it, enabling both capabilities when none is named', () => {
    const parsed = parseScanRequest(request());
    if (!('request' in parsed)) throw new Error(parsed.problem.message);
    expect(parsed.request.registry.url.host).toBe('core.harbor.domain');
    expect(parsed.request.capabilities).toEqual(['vulnerability', 'sbom']);
    expect(parsed.request.artifact).toEqual({ repository: 'library/mongo', digest: DIGEST, tag: '3.14-xenial', mimeType: 'application/vnd.docker.distribution.manifest.v2+json' });
    expect(scanTarget(parsed.request)).toBe(`registry:core.harbor.domain/library/mongo@${DIGEST}`);
    expect(basicCredentials(parsed.request.registry.authorization ?? '')).toEqual({ username: 'robot$harbor', password: 's3cret:with:colons' });
  });

  it('keeps the enabled capabilities and SBOM formats', () => {
    const parsed = parseScanRequest(request({ enabled_capabilities: [{ type: 'sbom', produces_mime_types: [SBOM_REPORT], parameters: { sbom_media_types: ['application/spdx+json'] } }] }));
    if (!('request' in parsed)) throw new Error(parsed.problem.message);
    expect(parsed.request.capabilities).toEqual(['sbom']);
    expect(parsed.request.sbomMediaTypes).toEqual(['application/spdx+json']);
  });

  it('answers 400 for bodies that are not JSON or have values of the wrong JSON type', () => {
    expect(problemOf(Buffer.from('{"registry":'))).toMatchObject({ status: 400, message: expect.stringContaining('not JSON') });
    expect(problemOf(Buffer.from('[]'))).toMatchObject({ status: 400 });
    expect(problemOf(request({ registry: { url: 42 } }))).toMatchObject({ status: 400, message: expect.stringContaining('registry.url') });
    expect(problemOf(request({ enabled_capabilities: 'sbom' }))).toMatchObject({ status: 400, message: expect.stringContaining('enabled_capabilities') });
  });

  it('answers 422 naming the field for missing or invalid values', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ registry: {} }, 'registry.url is required'],
      [{ registry: { url: 'ftp://x' } }, 'registry.url must be http or https'],
      [{ registry: { url: 'https://user:pw@x' } }, 'must not carry credentials'],
      [{ registry: { url: 'https://x/v2/' } }, 'base URL'],
      [{ registry: { url: 'https://x', authorization: 'Bearer abc' } }, 'registry.authorization must be `Basic'],
      [{ registry: { url: 'https://x', authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` } }, 'user:password'],
      [{ artifact: { digest: DIGEST } }, 'artifact.repository is required'],
      [{ artifact: { repository: '../etc', digest: DIGEST } }, 'artifact.repository is not a repository name'],
      [{ artifact: { repository: 'Library/Mongo', digest: DIGEST } }, 'artifact.repository is not a repository name'],
      [{ artifact: { repository: 'library/mongo' } }, 'artifact.digest is required'],
      [{ artifact: { repository: 'library/mongo', digest: 'sha256:abc' } }, 'artifact.digest must be'],
      [{ artifact: { repository: 'library/mongo', digest: DIGEST, tag: 'a/b' } }, 'artifact.tag'],
      [{ enabled_capabilities: [{}] }, 'enabled_capabilities.0.type is required'],
      [{ enabled_capabilities: [{ type: 'sbom', parameters: { sbom_media_types: ['text/plain'] } }] }, 'sbom_media_types'],
    ];
    for (const [overrides, message] of cases) expect(problemOf(request(overrides))).toEqual({ status: 422, message: expect.stringContaining(message) });
  });

  it('answers 501 for an artifact or a report the scanner cannot handle', () => {
    expect(problemOf(request({ artifact: { repository: 'a', digest: DIGEST, mime_type: 'application/vnd.cncf.helm.config.v1+json' } }))).toMatchObject({ status: 501 });
    expect(problemOf(request({ enabled_capabilities: [{ type: 'malware' }] }))).toMatchObject({ status: 501 });
    expect(problemOf(request({ enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: ['application/vnd.scanner.adapter.vuln.report.raw'] }] }))).toMatchObject({ status: 501 });
  });
});

describe('Harbor media types', () => {
  it('negotiates Accept ignoring case, spacing and q, with the vulnerability report as the default', () => {
    expect(negotiate('application/vnd.security.vulnerability.report; version=1.1', PRODUCED_MIME_TYPES, VULN_REPORT)).toBe(VULN_REPORT);
    expect(negotiate('Application/VND.scanner.adapter.vuln.report.harbor+json;version=1.0;q=0.9', PRODUCED_MIME_TYPES, VULN_REPORT)).toBe(HARBOR_VULN_REPORT);
    expect(negotiate('text/html, application/vnd.security.sbom.report+json; version=1.0', PRODUCED_MIME_TYPES, VULN_REPORT)).toBe(SBOM_REPORT);
    expect(negotiate(undefined, PRODUCED_MIME_TYPES, VULN_REPORT)).toBe(VULN_REPORT);
    expect(negotiate('*/*', PRODUCED_MIME_TYPES, VULN_REPORT)).toBe(VULN_REPORT);
    expect(negotiate('application/vnd.scanner.adapter.vuln.report.raw', PRODUCED_MIME_TYPES, VULN_REPORT)).toBeUndefined();
    expect(negotiate('application/vnd.security.vulnerability.report; version=1.0', PRODUCED_MIME_TYPES, VULN_REPORT)).toBeUndefined();
    expect(negotiate('x'.repeat(5000), PRODUCED_MIME_TYPES, VULN_REPORT)).toBeUndefined();
  });

  it('recognises the scan request content types', () => {
    expect(isContentType('application/vnd.scanner.adapter.scan.request+json; version=1.0', SCAN_REQUEST_TYPES)).toBe(true);
    expect(isContentType('application/vnd.scanner.adapter.scan.request+json;version=1.1; charset=utf-8', SCAN_REQUEST_TYPES)).toBe(true);
    expect(isContentType('text/plain', SCAN_REQUEST_TYPES)).toBe(false);
    expect(isContentType(undefined, SCAN_REQUEST_TYPES)).toBe(false);
  });
});
