import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import type { AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { apkAnalyzer } from './apk';
import { dpkgAnalyzer } from './dpkg';

/** Trivy's Go expectations split versions; this joins them back: [epoch:]version[-release]. */
function joinVersion(epoch: number | undefined, version: string, release: string | undefined): string {
  return `${epoch ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`;
}

/** txtar (golang.org/x/tools/txtar): `-- path --` lines start each file. */
function parseTxtar(text: string): AnalyzerFile[] {
  const files: AnalyzerFile[] = [];
  const parts = text.split(/^-- (.+) --$/m);
  for (let i = 1; i < parts.length; i += 2) files.push({ path: (parts[i] ?? '').trim(), content: Buffer.from((parts[i + 1] ?? '').replace(/^\n/, '')) });
  return files;
}

interface TrivyPackage {
  Name: string;
  Version: string;
  Release?: string;
  Epoch?: number;
  SrcName?: string;
  SrcVersion?: string;
  SrcRelease?: string;
  SrcEpoch?: number;
  Arch?: string;
}

function simplify(p: PackageResult): Record<string, string | undefined> {
  return { name: p.name, version: p.version, sourceName: p.sourceName, sourceVersion: p.sourceVersion, arch: p.metadata?.['arch'] as string | undefined };
}

const sortByName = <T extends { name?: string }>(list: T[]): T[] => [...list].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '', 'en'));

describeWithShared('dpkg analyzer against trivy testdata', (shared) => {
  const dir = path.join(shared, 'peers/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata');
  const cases = ['valid.txtar', 'corrupsed.txtar', 'digest.txtar', 'md5sums.txtar', 'only-apt.txtar', 'third-party.txtar'];

  it.each(cases)('%s parses to the expected packages', async (name) => {
    const files = parseTxtar(readFileSync(path.join(dir, name), 'utf8')).filter((f) => dpkgAnalyzer.wants(f.path));
    expect(files.length).toBeGreaterThan(0);
    const expected = JSON.parse(readFileSync(path.join(dir, `${name}.expected.json`), 'utf8')) as {
      cases: { expected: { want: { PackageInfos: { Packages: TrivyPackage[] }[] } } }[];
    };
    const want = expected.cases[0]?.expected.want.PackageInfos.flatMap((info) => info.Packages) ?? [];
    expect(want.length).toBeGreaterThan(0);
    const result = await dpkgAnalyzer.analyze(files, { artifactDigest: 'sha256:test' });
    expect(sortByName((result.packages ?? []).map(simplify))).toEqual(
      sortByName(
        want.map((p) => ({
          name: p.Name,
          version: joinVersion(p.Epoch, p.Version, p.Release),
          sourceName: p.SrcName ?? p.Name,
          sourceVersion: joinVersion(p.SrcEpoch, p.SrcVersion ?? p.Version, p.SrcRelease),
          arch: p.Arch,
        })),
      ),
    );
  });
});

describeWithShared('apk analyzer against trivy testdata', (shared) => {
  it('parses lib/apk/db/installed to the expected packages', async () => {
    const dir = path.join(shared, 'peers/trivy/pkg/fanal/analyzer/pkg/apk/testdata');
    const expected = JSON.parse(readFileSync(path.join(dir, 'apk.expected.json'), 'utf8')) as { cases: { expected: { wantPkgs: TrivyPackage[] } }[] };
    const want = expected.cases[0]?.expected.wantPkgs ?? [];
    const result = await apkAnalyzer.analyze([{ path: 'lib/apk/db/installed', content: readFileSync(path.join(dir, 'apk')) }], {
      artifactDigest: 'sha256:test',
      os: { family: 'alpine', version: '3.4.0' },
    });
    expect(want).toHaveLength(15);
    expect((result.packages ?? []).map(simplify)).toEqual(
      want.map((p) => ({ name: p.Name, version: p.Version, sourceName: p.SrcName, sourceVersion: p.SrcVersion, arch: p.Arch })),
    );
    expect(result.packages?.[0]?.purl).toBe('pkg:apk/alpine/musl@1.1.14-r10?arch=x86_64&distro=alpine-3.4.0');
  });
});
