import { PackageURL } from 'packageurl-js';
import { ociPurl, openVexDocument, type SuppressedVulnerability } from './vex-document';

const CONFIG = `sha256:${'c'.repeat(64)}`;
const MANIFEST = `sha256:${'a'.repeat(64)}`;

describe('ociPurl', () => {
  it('names the image by its registry repository and manifest digest, encoded by packageurl-js (the reference implementation)', () => {
    const purl = ociPurl({ digest: CONFIG, manifestDigests: [MANIFEST], references: ['oci:/tmp/layout:app', 'registry.example.com:5000/team/Web-App:1.2'] });
    expect(purl).toBe(`pkg:oci/web-app@sha256:${'a'.repeat(64)}?repository_url=registry.example.com%3A5000%2Fteam%2FWeb-App&tag=1.2`);
    const parsed = PackageURL.fromString(purl);
    expect([parsed.type, parsed.name, parsed.version, parsed.qualifiers?.['repository_url']]).toEqual(['oci', 'web-app', MANIFEST, 'registry.example.com:5000/team/Web-App']);
  });

  it('falls back to the image id and the name "image" for local sources only', () => {
    expect(ociPurl({ digest: CONFIG, manifestDigests: [], references: ['oci:/tmp/layout:app', 'docker-archive:/tmp/x.tar', '/abs/path'] })).toBe(`pkg:oci/image@sha256:${'c'.repeat(64)}`);
  });
});

describe('openVexDocument', () => {
  const finding = (over: Partial<SuppressedVulnerability> = {}): SuppressedVulnerability => ({
    ruleId: 'GHSA-jf85-cpcp-j695',
    aliases: ['CVE-2019-10744'],
    purl: 'pkg:npm/lodash@4.17.11',
    reason: 'never called',
    justification: 'vulnerable_code_not_in_execute_path',
    expiresAt: null,
    suppressedBy: 'ci',
    suppressedAt: new Date('2026-12-01T10:00:00.000Z'),
    ...over,
  });
  const image = { digest: CONFIG, manifestDigests: [MANIFEST], references: ['docker.io/library/app:1'] };

  it('writes one not_affected statement per finding, the CVE as the name, and a content-derived @id', () => {
    const doc = openVexDocument(image, 'red', [finding(), finding({ ruleId: 'DEBIAN-X-1', aliases: [], purl: 'pkg:deb/debian/bash@5', reason: null, justification: null, suppressedAt: new Date('2026-12-02T00:00:00.000Z'), expiresAt: new Date('2027-01-01T00:00:00.000Z') })]);
    expect(doc.timestamp).toBe('2026-12-02T00:00:00.000Z');
    expect(doc.statements[0]).toEqual({
      vulnerability: { name: 'CVE-2019-10744', aliases: ['GHSA-jf85-cpcp-j695'] },
      timestamp: '2026-12-01T10:00:00.000Z',
      products: [{ '@id': ociPurl(image), subcomponents: [{ '@id': 'pkg:npm/lodash@4.17.11' }] }],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      impact_statement: 'never called',
      status_notes: 'Suppressed in Bulkhead by ci until reopened.',
    });
    expect(doc.statements[1]).toMatchObject({ vulnerability: { name: 'DEBIAN-X-1' }, impact_statement: 'Suppressed without a stated reason', status_notes: 'Suppressed in Bulkhead by ci until 2027-01-01T00:00:00.000Z.' });
    expect(doc.statements[1]).not.toHaveProperty('justification');
    // A suppression older than its record has no time of its own: the document's applies.
    expect(openVexDocument(image, 'red', [finding({ suppressedAt: null })]).statements[0]).not.toHaveProperty('timestamp');
    // The same suppressions give the same @id; another team's or another set another.
    expect(openVexDocument(image, 'red', [finding()])['@id']).toBe(openVexDocument(image, 'red', [finding()])['@id']);
    expect(openVexDocument(image, 'blue', [finding()])['@id']).not.toBe(openVexDocument(image, 'red', [finding()])['@id']);
  });

  it('is a valid empty document without suppressions, timed now', () => {
    const now = new Date('2026-12-07T00:00:00.000Z');
    expect(openVexDocument(image, 'red', [], now)).toMatchObject({ '@context': 'https://openvex.dev/ns/v0.2.0', timestamp: now.toISOString(), statements: [] });
  });
});
