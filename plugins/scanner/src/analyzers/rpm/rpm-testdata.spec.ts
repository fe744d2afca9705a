import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { parseRpmHeader, type RpmHeaderPackage } from './header';
import { rpmAnalyzer, rpmDatabaseBlobs } from './analyzer';
import { parseRpmqaManifest, rpmqaAnalyzer } from './rpmqa';

/** go-rpmdb's PackageInfo fields that TestPackageList compares (see each expected.json's conventions). */
interface GoPackageInfo {
  Epoch?: number | null;
  Name: string;
  Version: string;
  Release: string;
  Arch: string;
  SourceRpm: string;
  Size: number;
  License: string;
  Vendor: string;
  Modularitylabel?: string;
  Summary: string;
  SigMD5: string;
}

function asGo(h: RpmHeaderPackage): GoPackageInfo {
  return {
    Epoch: h.epoch ?? null,
    Name: h.name,
    Version: h.version,
    Release: h.release,
    Arch: h.arch,
    SourceRpm: h.sourceRpm,
    Size: h.size,
    License: h.license,
    Vendor: h.vendor,
    Modularitylabel: h.modularityLabel,
    Summary: h.summary,
    SigMD5: h.sigMd5,
  };
}

const normalise = (p: GoPackageInfo): GoPackageInfo => ({ ...p, Epoch: p.Epoch ?? null, Modularitylabel: p.Modularitylabel ?? '' });
const pick = (p: GoPackageInfo & Record<string, unknown>): GoPackageInfo =>
  normalise({ Epoch: p.Epoch, Name: p.Name, Version: p.Version, Release: p.Release, Arch: p.Arch, SourceRpm: p.SourceRpm, Size: p.Size, License: p.License, Vendor: p.Vendor, Modularitylabel: p.Modularitylabel, Summary: p.Summary, SigMD5: p.SigMD5 });

function headers(file: string): GoPackageInfo[] {
  const data = readFileSync(file);
  return [...rpmDatabaseBlobs(data, file)].map((blob, i) => asGo(parseRpmHeader(blob, `${file} #${i}`)));
}

describeWithShared('rpm databases against go-rpmdb testdata', (shared) => {
  const dir = path.join(shared, 'peers/go-rpmdb/pkg/testdata');
  const expected = (file: string): { cases: { expected: Record<string, unknown> }[]; derived_package_list?: { count: number; packages: GoPackageInfo[] } } =>
    JSON.parse(readFileSync(path.join(dir, `${file}.expected.json`), 'utf8'));

  it('BerkeleyDB Hash (libuuid/Packages): the one package, every compared field', () => {
    const want = expected('libuuid/Packages').cases[0]?.expected['want'] as GoPackageInfo & Record<string, unknown>;
    const got = headers(path.join(dir, 'libuuid/Packages'));
    expect(got).toEqual([pick(want)]);
  });

  it('NDB (sle15-bci/Packages.db): all 35 packages in database order', () => {
    const want = expected('sle15-bci/Packages.db').cases[0]?.expected['pkgList'] as GoPackageInfo[];
    expect(want).toHaveLength(35);
    expect(headers(path.join(dir, 'sle15-bci/Packages.db'))).toEqual(want.map((p) => pick(p as GoPackageInfo & Record<string, unknown>)));
  });

  it('SQLite (cbl-mariner-2.0/rpmdb.sqlite): all 129 packages, and curl as the Go test has it', () => {
    const file = expected('cbl-mariner-2.0/rpmdb.sqlite');
    const got = headers(path.join(dir, 'cbl-mariner-2.0/rpmdb.sqlite'));
    expect(file.derived_package_list?.count).toBe(129);
    expect(got).toEqual(file.derived_package_list?.packages.map((p) => pick(p as GoPackageInfo & Record<string, unknown>)));
    const curl = file.cases[0]?.expected['want'] as GoPackageInfo & Record<string, unknown>;
    expect(got.find((p) => p.Name === 'curl')).toEqual(pick(curl));
  });

  it('the analyzer reports [epoch:]version-release, the source package and the file read', async () => {
    const content = readFileSync(path.join(dir, 'sle15-bci/Packages.db'));
    const result = await rpmAnalyzer.analyze([{ path: 'usr/lib/sysimage/rpm/Packages.db', content, layer: 'sha256:l1' }], {
      artifactDigest: 'sha256:test',
      os: { family: 'sles', version: '15.3' },
    });
    expect(result.packages).toHaveLength(35);
    const glibc = result.packages?.find((p) => p.name === 'glibc');
    expect(glibc).toMatchObject({
      type: 'rpm',
      version: '2.31-9.3.2',
      sourceName: 'glibc',
      sourceVersion: '2.31-9.3.2',
      purl: 'pkg:rpm/sles/glibc@2.31-9.3.2?arch=x86_64&distro=sles-15.3',
      path: 'usr/lib/sysimage/rpm/Packages.db',
      layer: 'sha256:l1',
    });
    expect(glibc?.metadata).toMatchObject({ arch: 'x86_64', license: 'LGPL-2.1-or-later AND LGPL-2.1-or-later WITH GCC-exception-2.0 AND GPL-2.0-or-later', vendor: 'SUSE LLC <https://www.suse.com/>' });
  });

  it('the same database at two paths (var/lib/rpm linked to usr/lib/sysimage/rpm) reports each package once', async () => {
    const content = readFileSync(path.join(dir, 'cbl-mariner-2.0/rpmdb.sqlite'));
    const result = await rpmAnalyzer.analyze(
      [
        { path: 'var/lib/rpm/rpmdb.sqlite', content },
        { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', content },
      ],
      { artifactDigest: '' },
    );
    expect(result.packages).toHaveLength(129);
    expect(new Set(result.packages?.map((p) => p.path))).toEqual(new Set(['usr/lib/sysimage/rpm/rpmdb.sqlite']));
  });
});

describeWithShared('rpmqa manifest against trivy testdata', (shared) => {
  const dir = path.join(shared, 'peers/trivy/pkg/fanal/analyzer/pkg/rpm/testdata');
  interface TrivyRpm {
    Name: string;
    Version: string;
    Release: string;
    Epoch?: number;
    Arch: string;
    SrcName: string;
    SrcVersion: string;
    SrcRelease: string;
    SrcEpoch?: number;
  }

  it('happy path: every package with its source rpm and epoch', () => {
    const want = (JSON.parse(readFileSync(path.join(dir, 'rpmqa-manifest.happy-path.txt.expected.json'), 'utf8')) as { cases: { expected: { wantPkgs: TrivyRpm[] } }[] }).cases[0]?.expected.wantPkgs;
    const got = parseRpmqaManifest(readFileSync(path.join(dir, 'rpmqa-manifest.happy-path.txt'), 'utf8'));
    expect(
      got.map((p) => ({
        Name: p.name,
        Version: p.version,
        Release: p.release,
        ...(p.epoch ? { Epoch: p.epoch } : {}),
        Arch: p.arch,
        SrcName: p.sourceName,
        SrcVersion: p.sourceVersion,
        SrcRelease: p.sourceRelease,
        ...(p.epoch ? { SrcEpoch: p.epoch } : {}),
      })),
    ).toEqual(want);
  });

  it('sad path: a short line is an error naming it', () => {
    const expected = JSON.parse(readFileSync(path.join(dir, 'rpmqa-manifest.sab-path.txt.expected.json'), 'utf8')) as { cases: { expected: { wantErr: string } }[] };
    const wantErr = expected.cases[0]?.expected.wantErr ?? '';
    expect(() => parseRpmqaManifest(readFileSync(path.join(dir, 'rpmqa-manifest.sab-path.txt'), 'utf8'))).toThrow(wantErr);
  });

  it('the analyzer reads the manifest at its fixed path only', async () => {
    expect(rpmqaAnalyzer.wants('var/lib/rpmmanifest/container-manifest-2')).toBe(true);
    expect(rpmqaAnalyzer.wants('var/lib/rpmmanifest/container-manifest-1')).toBe(false);
    const content = readFileSync(path.join(dir, 'rpmqa-manifest.happy-path.txt'));
    const result = await rpmqaAnalyzer.analyze([{ path: 'var/lib/rpmmanifest/container-manifest-2', content }], { artifactDigest: '', os: { family: 'azurelinux', version: '3.0' } });
    expect(result.packages?.find((p) => p.name === 'ca-certificates-base')).toMatchObject({
      version: '1:3.0.0-8.azl3',
      sourceName: 'ca-certificates',
      sourceVersion: '1:3.0.0-8.azl3',
      purl: 'pkg:rpm/azurelinux/ca-certificates-base@3.0.0-8.azl3?arch=noarch&distro=azurelinux-3.0&epoch=1',
    });
  });
});
