import { parseIgnoreFile, rulesInForce } from '@bulkhead/plugin-sdk/cli';
import { parseVex } from '../vex/vex';
import { applyReportPolicy, exitCodeFor } from './policy';
import { formatScanTable } from './table';
import { ARTIFACT, fixtureReport } from './testing/report-fixture';

const NOW = new Date('2026-12-07T12:00:00Z');
const ids = (report: ReturnType<typeof fixtureReport>): string[] => report.findings.map((f) => f.id);

describe('report policy', () => {
  it('filters by severity and by fix availability, counting what it dropped', () => {
    const high = applyReportPolicy(fixtureReport(), { severities: ['HIGH', 'CRITICAL'] });
    expect(ids(high)).toEqual(['CVE-2020-8203', 'aws-access-key-id']);
    expect(high.summary.filtered).toBe(2);
    const fixedOnly = applyReportPolicy(fixtureReport(), { ignoreUnfixed: true });
    expect(ids(fixedOnly)).toEqual(['CVE-2023-5678', 'CVE-2020-8203', 'aws-access-key-id']);
  });

  it('suppresses by id or alias from the ignore file, and shows the reason when asked', () => {
    const { active: ignore, expired } = rulesInForce(parseIgnoreFile('# patched in our fork\nGHSA-p6mc-m468-83gw exp:2027-01-01\nCVE-2023-5678 exp:2026-01-01\n', '.bulkheadignore'), NOW);
    expect(expired.map((r) => r.id)).toEqual(['CVE-2023-5678']);
    const hidden = applyReportPolicy(fixtureReport(), { ignore });
    expect(ids(hidden)).not.toContain('CVE-2020-8203');
    expect(ids(hidden)).toContain('CVE-2023-5678'); // expired: applies no more
    expect(hidden.summary.suppressed).toBe(1);
    expect(hidden.suppressed).toBeUndefined();
    const shown = applyReportPolicy(fixtureReport(), { ignore, showSuppressed: true });
    expect(shown.suppressed).toEqual([expect.objectContaining({ id: 'CVE-2020-8203', suppression: { by: 'ignore-file', source: '.bulkheadignore:2', statement: 'patched in our fork', expires: '2027-01-01' } })]);
    expect(formatScanTable(shown)).toMatch(/Suppressed\n.*\n.*\nlodash +CVE-2020-8203 +HIGH +ignore file: patched in our fork: until 2027-01-01: \.bulkheadignore:2/);
  });

  it('limits an ignore rule to the packages or files it names', () => {
    const rules = parseIgnoreFile('CVE-2010-0928 pkg:deb/debian/libssl3*\nCVE-2020-8203 other/package-lock.json\naws-access-key-id app/*.env\n', 'i');
    const report = applyReportPolicy(fixtureReport(), { ignore: rules });
    expect(ids(report)).toEqual(['CVE-2023-5678', 'CVE-2020-8203']);
  });

  it('applies OpenVEX not_affected statements for the package, with their justification', () => {
    const vex = parseVex(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/1',
        author: 'maintainer',
        timestamp: '2026-12-01T00:00:00Z',
        version: 1,
        statements: [
          // For every version of libssl3 in Debian: covers the installed one.
          { vulnerability: { name: 'CVE-2023-5678' }, products: [{ '@id': 'pkg:deb/debian/libssl3' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: 'DH parameters are never checked' },
          // Another package: does not apply to libssl3.
          { vulnerability: { name: 'CVE-2010-0928' }, products: [{ '@id': 'pkg:deb/debian/bash' }], status: 'not_affected', justification: 'component_not_present' },
          // Through the image with subcomponents, by alias.
          { vulnerability: { name: 'GHSA-p6mc-m468-83gw' }, products: [{ '@id': 'pkg:oci/app', subcomponents: [{ '@id': 'pkg:npm/lodash@4.17.15' }] }], status: 'affected' },
        ],
      }),
      'vex.json',
    );
    const report = applyReportPolicy(fixtureReport(), { vex: [vex], showSuppressed: true });
    expect(ids(report)).toEqual(['CVE-2010-0928', 'CVE-2020-8203', 'aws-access-key-id']);
    expect(report.suppressed).toEqual([
      expect.objectContaining({ id: 'CVE-2023-5678', suppression: { by: 'vex', source: 'vex.json', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', statement: 'DH parameters are never checked' } }),
    ]);
    expect(JSON.stringify(report)).toContain('DH parameters are never checked');
    expect(formatScanTable(report)).toContain('VEX not_affected: vulnerable_code_not_in_execute_path: DH parameters are never checked: vex.json');
  });

  it('lets the later OpenVEX statement win', () => {
    const vex = parseVex(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [
          { vulnerability: { name: 'CVE-2020-8203' }, products: [{ '@id': 'pkg:npm/lodash@4.17.15' }], status: 'affected', timestamp: '2026-12-03T00:00:00+01:00' },
          { vulnerability: { name: 'CVE-2020-8203' }, products: [{ '@id': 'pkg:npm/lodash@4.17.15' }], status: 'not_affected', justification: 'vulnerable_code_not_present', timestamp: '2026-12-02T00:00:00Z' },
        ],
      }),
      'v',
    );
    // 2026-12-03T00:00+01:00 is after 2026-12-02T00:00Z: still affected.
    expect(ids(applyReportPolicy(fixtureReport(), { vex: [vex] }))).toContain('CVE-2020-8203');
    // a version-specific statement for another version does not apply
    const other = parseVex(JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-2020-8203' }, products: [{ '@id': 'pkg:npm/lodash@4.17.21' }], status: 'not_affected', justification: 'x' }] }), 'v');
    expect(ids(applyReportPolicy(fixtureReport(), { vex: [other] }))).toContain('CVE-2020-8203');
  });

  it('applies CycloneDX VEX analyses (bom-refs resolved to purls, BOM-links too)', () => {
    const vex = parseVex(
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        version: 1,
        components: [{ 'bom-ref': 'lodash-ref', type: 'library', name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15' }],
        vulnerabilities: [
          { id: 'CVE-2020-8203', analysis: { state: 'false_positive', detail: 'template never reached' }, affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#lodash-ref' }] },
          { id: 'CVE-2023-5678', analysis: { state: 'exploitable' }, affects: [{ ref: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12' }] },
          { id: 'CVE-2010-0928', analysis: { state: 'not_affected', justification: 'requires_environment' }, affects: [{ ref: 'pkg:deb/debian/libssl3' }] },
        ],
      }),
      'cdx-vex.json',
    );
    const report = applyReportPolicy(fixtureReport(), { vex: [vex], showSuppressed: true });
    expect(ids(report)).toEqual(['CVE-2023-5678', 'aws-access-key-id']);
    expect(report.suppressed?.map((f) => [f.id, f.suppression.status, f.suppression.statement ?? f.suppression.justification])).toEqual([
      ['CVE-2010-0928', 'not_affected', 'requires_environment'],
      ['CVE-2020-8203', 'false_positive', 'template never reached'],
    ]);
  });

  it('names the file and field of a malformed VEX document', () => {
    expect(() => parseVex('{', 'v.json')).toThrow(/^v\.json: not JSON/);
    expect(() => parseVex('{"a":1}', 'v.json')).toThrow('v.json: neither OpenVEX');
    expect(() => parseVex(JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-1' } }] }), 'v.json')).toThrow('v.json: statements[0].status: missing');
    expect(() => parseVex(JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-1' }, status: 'fixed', products: 'x' }] }), 'v.json')).toThrow('v.json: statements[0].products: expected an array');
  });

  it('fails the --exit-code gate when findings remain, or when vulnerabilities could not be checked', () => {
    expect(exitCodeFor(fixtureReport(), 0)).toBe(0);
    expect(exitCodeFor(fixtureReport(), 3)).toBe(3);
    expect(exitCodeFor(applyReportPolicy(fixtureReport(), { severities: ['INFO'] }), 3)).toBe(0);
    const noData = applyReportPolicy(fixtureReport({ status: 'no-advisory-data', database: 'x', message: 'no advisory database at x' }), { severities: ['INFO'] });
    expect(exitCodeFor(noData, 3)).toBe(3);
    expect(exitCodeFor(noData, 0)).toBe(0);
    expect(ARTIFACT.digest).toMatch(/^sha256:/);
  });
});
