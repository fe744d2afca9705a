import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { describeWithShared } from '@bulkhead/testing';
import { formatCycloneDx } from '../report/cyclonedx';
import { formatSpdx } from '../report/spdx';
import { fixtureReport, PACKAGES } from '../report/testing/report-fixture';
import { parseSbom, readSbom } from './read-sbom';

const TOOL = { version: '1' };
const inventoryOf = (packages: readonly { type: string; name: string; version: string; sourceName?: string; sourceVersion?: string; purl: string }[]) =>
  packages.map((p) => ({ type: p.type, name: p.name, version: p.version, sourceName: p.sourceName ?? p.name, sourceVersion: p.sourceVersion ?? p.version, purl: p.purl })).sort((a, b) => a.purl.localeCompare(b.purl));

describe('sbom: targets', () => {
  it('reads back our own CycloneDX: packages with source packages and the OS', () => {
    const sbom = parseSbom(Buffer.from(formatCycloneDx(fixtureReport(), TOOL)), 'bom.cdx.json');
    expect(sbom.format).toBe('cyclonedx');
    expect(sbom.artifact.os).toEqual({ family: 'debian', version: '12' });
    expect(inventoryOf(sbom.packages)).toEqual(inventoryOf(PACKAGES));
    expect(sbom.packages.find((p) => p.name === 'lodash')?.path).toBe('app/package-lock.json');
    expect(sbom.artifact.references).toEqual(['sbom:bom.cdx.json']);
    expect(sbom.artifact.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('reads back our own SPDX: the same packages', () => {
    const sbom = parseSbom(Buffer.from(formatSpdx(fixtureReport(), TOOL)), 'bom.spdx.json');
    expect(sbom.format).toBe('spdx');
    expect(sbom.artifact.os).toEqual({ family: 'debian', version: '12' });
    expect(inventoryOf(sbom.packages)).toEqual(inventoryOf(PACKAGES));
  });

  it('names packages as the analyzers do (npm scopes, Maven group:artifact, Go module paths) and takes the OS from a distro qualifier', () => {
    const bom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: [
        { type: 'library', name: 'core', purl: 'pkg:npm/%40babel/core@7.20.0' },
        { type: 'library', name: 'log4j-core', purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1' },
        { type: 'library', name: 'net', purl: 'pkg:golang/golang.org/x/net@v0.7.0' },
        { type: 'library', name: 'musl', purl: 'pkg:apk/alpine/musl@1.2.4-r1?arch=x86_64&upstream=musl&distro=3.18.4' },
        { type: 'library', name: 'libssl3', purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?upstream=openssl%403.0.11-1~deb12u2&distro=debian-12' },
        { type: 'application', name: 'no purl' },
        { type: 'library', name: 'bad', purl: 'pkg:' },
        { type: 'library', name: 'unversioned', purl: 'pkg:npm/left-pad' },
        { type: 'library', name: 'nested', purl: 'pkg:pypi/django@4.2.0', components: [{ type: 'library', name: 'inner', purl: 'pkg:pypi/sqlparse@0.4.3' }] },
      ],
    };
    const sbom = parseSbom(Buffer.from(JSON.stringify(bom)), 'b.json');
    expect(sbom.packages.map((p) => [p.type, p.name, p.version, p.sourceName, p.sourceVersion]).sort()).toEqual(
      [
        ['npm', '@babel/core', '7.20.0', undefined, undefined],
        ['maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', undefined, undefined],
        ['golang', 'golang.org/x/net', 'v0.7.0', undefined, undefined],
        ['apk', 'musl', '1.2.4-r1', 'musl', '1.2.4-r1'],
        ['deb', 'libssl3', '3.0.11-1~deb12u2', 'openssl', '3.0.11-1~deb12u2'],
        ['pypi', 'django', '4.2.0', undefined, undefined],
        ['pypi', 'sqlparse', '0.4.3', undefined, undefined],
      ].sort(),
    );
    expect(sbom.skipped).toEqual([expect.stringContaining('b.json: components[6]: purl "pkg:" does not parse'), 'b.json: components[7]: purl pkg:npm/left-pad has no version']);
    // the first purl with a distro qualifier: Trivy's alpine form (family in the namespace)
    expect(sbom.artifact.os).toEqual({ family: 'alpine', version: '3.18.4' });
  });

  it('refuses what is not an SBOM, naming the file and field', () => {
    expect(() => parseSbom(Buffer.from('{"bomFormat":"CycloneDX","components":{}}'), 'x.json')).toThrow('x.json: components: expected an array');
    expect(() => parseSbom(Buffer.from('[]'), 'x.json')).toThrow('x.json: an SBOM is a JSON object');
    expect(() => parseSbom(Buffer.from('{"spdxVersion":"SPDX-3.0"}'), 'x.json')).toThrow('spdxVersion SPDX-3.0 is not supported');
    expect(() => parseSbom(Buffer.from('{"hello":1}'), 'x.json')).toThrow('neither CycloneDX JSON');
    expect(() => parseSbom(Buffer.from('{"bomFormat":'), 'x.json')).toThrow(BadInputError);
    // hostile: components nested 10,000 deep (no recursion: an explicit stack, a depth limit)
    const depth = 10_000;
    const deep = `{"bomFormat":"CycloneDX","components":[${'{"type":"library","name":"n","components":['.repeat(depth)}{"type":"library","name":"leaf","purl":"pkg:npm/leaf@1.0.0"}${']}'.repeat(depth)}]}`;
    expect(() => parseSbom(Buffer.from(deep), 'deep.json')).toThrow(/deep\.json: components(\[0\]\.components){64}.*: components nested deeper than 64 levels/);
  });

  it('reads a file, refusing a missing one with a clear error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bh-sbom-'));
    try {
      const file = path.join(dir, 'bom.json');
      writeFileSync(file, formatCycloneDx(fixtureReport(), TOOL));
      expect((await readSbom(file)).packages).toHaveLength(PACKAGES.length);
      await expect(readSbom(path.join(dir, 'missing.json'))).rejects.toThrow(/cannot read sbom:.*missing\.json/);
      await expect(readSbom(dir)).rejects.toThrow(/is not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describeWithShared("Trivy's SBOMs", (shared) => {
    const fixtures = path.join(shared, 'peers/trivy/integration/testdata/fixtures/sbom');

    it('reads the CentOS 7 CycloneDX SBOM: rpm packages with epochs and source packages, the OS component', async () => {
      const sbom = parseSbom(await readFile(path.join(fixtures, 'centos-7-cyclonedx.json')), 'centos-7-cyclonedx.json');
      expect(sbom.artifact.os).toEqual({ family: 'centos', version: '7.6.1810' });
      expect(sbom.packages.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion])).toEqual([
        ['bash', '4.2.46-31.el7', 'bash', '4.2.46-31.el7'],
        ['openssl-libs', '1:1.0.2k-16.el7', 'openssl', '1:1.0.2k-16.el7'],
      ]);
    });

    it('reads the CentOS 7 SPDX SBOM (OS package by SPDXID, source from sourceInfo)', async () => {
      const sbom = parseSbom(await readFile(path.join(fixtures, 'centos-7-spdx.json')), 'centos-7-spdx.json');
      expect(sbom.artifact.os).toEqual({ family: 'centos', version: '7.6.1810' });
      // The versions come from the purls (the identity every SBOM writer agrees on); this
      // fixture's versionInfo for openssl-libs (1:1.0.2k-19.el7) disagrees with its own purl.
      expect(sbom.packages.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion])).toEqual([
        ['bash', '4.2.46-31.el7', 'bash', '4.2.46-31.el7'],
        ['openssl-libs', '1:1.0.2k-16.el7', 'openssl-libs', '1:1.0.2k-16.el7'],
      ]);
    });

    it("reads Trivy's npm CycloneDX report", async () => {
      const sbom = parseSbom(await readFile(path.join(shared, 'peers/trivy/integration/testdata/npm-cyclonedx.json.golden')), 'npm-cyclonedx.json');
      expect(sbom.packages.every((p) => p.type === 'npm')).toBe(true);
      expect(sbom.packages.map((p) => `${p.name}@${p.version}`)).toContain('jquery@3.3.9');
      expect(sbom.artifact.os).toBeUndefined();
    });
  });
});
