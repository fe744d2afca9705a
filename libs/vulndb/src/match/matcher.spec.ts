import type { Advisory, AffectedPackage, AffectedRange, MatchablePackage } from '../model';
import type { AdvisoryCandidate } from '../store/advisory-store';
import { groupByAlias } from './alias-groups';
import { inMemoryLookup } from './in-memory-lookup';
import { matchPackages, matchPackagesWithStats } from './matcher';

function advisory(id: string, affected: Partial<AffectedPackage> & { ranges?: AffectedRange[] }, extra: Partial<Advisory> = {}): Advisory {
  return {
    id,
    source: 'test',
    aliases: [],
    cvss: [],
    references: [],
    affected: [{ ecosystem: 'npm', name: 'pkg', versions: [], ranges: [], ...affected }],
    ...extra,
  };
}

const eco = (...events: AffectedRange['events']): AffectedRange => ({ type: 'ECOSYSTEM', events });
const npm = (version: string, name = 'pkg'): MatchablePackage => ({ ref: `${name}@${version}`, ecosystem: 'npm', name, version });

async function matched(advisories: Advisory[], p: MatchablePackage): Promise<string[]> {
  return (await matchPackages([p], inMemoryLookup(advisories))).map((m) => `${m.id}${m.fixedVersion ? ` fixed ${m.fixedVersion}` : ''}`);
}

describe('OSV range evaluation', () => {
  it('introduced / fixed: half-open, "0" is the start', async () => {
    const a = [advisory('A', { ranges: [eco({ introduced: '1.0.0' }, { fixed: '1.2.0' })] })];
    expect(await matched(a, npm('0.9.0'))).toEqual([]);
    expect(await matched(a, npm('1.0.0'))).toEqual(['A fixed 1.2.0']);
    expect(await matched(a, npm('1.1.9'))).toEqual(['A fixed 1.2.0']);
    expect(await matched(a, npm('1.2.0'))).toEqual([]);
    expect(await matched([advisory('B', { ranges: [eco({ introduced: '0' })] })], npm('0.0.1'))).toEqual(['B']);
  });
  it('last_affected is inclusive and names no fix', async () => {
    const a = [advisory('A', { ranges: [eco({ introduced: '0' }, { last_affected: '2.1.214' })] })];
    expect(await matched(a, npm('2.1.214'))).toEqual(['A']);
    expect(await matched(a, npm('2.1.215'))).toEqual([]);
  });
  it('several stretches in one range, events in any order', async () => {
    const a = [advisory('A', { ranges: [eco({ fixed: '3.2.5' }, { introduced: '3.0.0' }, { fixed: '1.0.2' }, { introduced: '1.0.0' })] })];
    expect(await matched(a, npm('1.0.1'))).toEqual(['A fixed 1.0.2']);
    expect(await matched(a, npm('2.0.0'))).toEqual([]);
    expect(await matched(a, npm('3.1.0'))).toEqual(['A fixed 3.2.5']);
  });
  it('limit: only versions below a limit are considered; "*" is no limit', async () => {
    const limited = [advisory('A', { ranges: [eco({ introduced: '0' }, { limit: '2.0.0' })] })];
    expect(await matched(limited, npm('1.9.9'))).toEqual(['A']);
    expect(await matched(limited, npm('2.0.0'))).toEqual([]);
    expect(await matched([advisory('B', { ranges: [eco({ introduced: '0' }, { limit: '*' })] })], npm('9.0.0'))).toEqual(['B']);
  });
  it('explicit versions list: exact strings, besides the ranges', async () => {
    const a = [advisory('A', { versions: ['1.0.0', '1.0.1'] })];
    expect(await matched(a, npm('1.0.1'))).toEqual(['A']);
    expect(await matched(a, npm('1.0.2'))).toEqual([]);
  });
  it('SEMVER ranges use SemVer even where the ecosystem orders otherwise; Go reads its v prefix', async () => {
    const go: Advisory = advisory('GO-1', { ecosystem: 'Go', name: 'example.com/m', ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.3' }] }] });
    const goPkg: MatchablePackage = { ref: 'm', ecosystem: 'Go', name: 'example.com/m', version: 'v1.2.2' };
    expect(await matched([go], goPkg)).toEqual(['GO-1 fixed 1.2.3']);
    expect(await matched([go], { ...goPkg, version: 'v1.2.3' })).toEqual([]);
    expect(await matched([go], { ...goPkg, version: 'v0.0.0-20191109021931-daa7c04131f5' })).toEqual(['GO-1 fixed 1.2.3']);
  });
  it('GIT ranges are skipped and counted; withdrawn records never match', async () => {
    const a = [
      advisory('A', { ranges: [{ type: 'GIT', events: [{ introduced: '0' }, { fixed: 'abc123' }] }] }),
      advisory('B', { ranges: [eco({ introduced: '0' })] }, { withdrawn: '2024-01-01T00:00:00Z' }),
    ];
    const { matches, stats } = await matchPackagesWithStats([npm('1.0.0')], inMemoryLookup(a));
    expect(matches).toEqual([]);
    expect(stats.gitRangesSkipped).toBe(1);
    expect(stats.withdrawnIgnored).toBe(1);
  });
  it('a range whose bounds cannot be ordered is reported and skipped, the rest still match', async () => {
    const a = [advisory('A', { ranges: [eco({ introduced: 'not-a-version' })] }), advisory('B', { ranges: [eco({ introduced: '0' })] })];
    const { matches, stats } = await matchPackagesWithStats([npm('1.0.0')], inMemoryLookup(a));
    expect(matches.map((m) => m.id)).toEqual(['B']);
    expect(stats.unorderableRanges).toEqual([{ advisoryId: 'A', ecosystem: 'npm', name: 'pkg', reason: 'range event cannot be ordered: invalid npm version "not-a-version": not a SemVer 2.0 version (MAJOR.MINOR.PATCH[-pre][+build])' }]);
  });
});

describe('merging, status and severity', () => {
  it('merges a CVE, its GHSA and a PYSEC aliasing the GHSA into one match under the CVE id', async () => {
    const a = [
      advisory('GHSA-aaaa', { ranges: [eco({ introduced: '0' }, { fixed: '2.0.0' })] }, { aliases: ['CVE-2024-1'] }),
      advisory('PYSEC-1', { ranges: [eco({ introduced: '0' }, { fixed: '2.0.1' })] }, { aliases: ['GHSA-aaaa'] }),
      advisory('GHSA-bbbb', { ranges: [eco({ introduced: '0' })] }),
    ];
    const matches = await matchPackages([npm('1.0.0')], inMemoryLookup(a));
    expect(matches.map((m) => [m.id, m.aliases, m.fixedVersion, m.evidence.map((e) => e.advisoryId)])).toEqual([
      ['CVE-2024-1', ['GHSA-aaaa', 'PYSEC-1'], '2.0.1', ['GHSA-aaaa', 'PYSEC-1']],
      ['GHSA-bbbb', [], undefined, ['GHSA-bbbb']],
    ]);
  });
  it('a record naming several CVEs (a DSA) joins each CVE instead of fusing them', () => {
    const groups = groupByAlias(
      [
        { id: 'DEBIAN-CVE-2023-0001', aliases: ['CVE-2023-0001'] },
        { id: 'DSA-5000-1', aliases: ['CVE-2023-0001', 'CVE-2023-0002'] },
        { id: 'DEBIAN-CVE-2023-0002', aliases: ['CVE-2023-0002'] },
      ],
      (r) => [r.id, ...r.aliases],
    );
    expect(groups.map((g) => [g.cve, [...g.ids].sort(), g.members.map((m) => m.id)])).toEqual([
      ['CVE-2023-0001', ['CVE-2023-0001', 'DEBIAN-CVE-2023-0001', 'DSA-5000-1'], ['DEBIAN-CVE-2023-0001', 'DSA-5000-1']],
      ['CVE-2023-0002', ['CVE-2023-0002', 'DEBIAN-CVE-2023-0002', 'DSA-5000-1'], ['DEBIAN-CVE-2023-0002', 'DSA-5000-1']],
    ]);
  });
  it('keeps the distro status where no fix is known; a fix makes it `fixed`; --ignore-unfixed drops the rest', async () => {
    const deb = (id: string, extra: Partial<AffectedPackage>): Advisory => advisory(id, { ecosystem: 'Debian:12', name: 'src', ...extra });
    const a = [
      deb('CVE-1', { ranges: [eco({ introduced: '0' })], status: 'will_not_fix' }),
      deb('CVE-2', { ranges: [eco({ introduced: '0' })], status: 'fix_deferred' }),
      deb('CVE-3', { ranges: [eco({ introduced: '0' }, { fixed: '1.0-2' })] }),
      deb('CVE-4', { ranges: [eco({ introduced: '0' })] }),
    ];
    const p: MatchablePackage = { ref: 'bin', ecosystem: 'Debian:12', name: 'src', version: '1.0-1' };
    const all = await matchPackages([p], inMemoryLookup(a));
    expect(all.map((m) => [m.id, m.status, m.fixedVersion])).toEqual([
      ['CVE-1', 'will_not_fix', undefined],
      ['CVE-2', 'fix_deferred', undefined],
      ['CVE-3', 'fixed', '1.0-2'],
      ['CVE-4', 'affected', undefined],
    ]);
    expect((await matchPackages([p], inMemoryLookup(a), { ignoreUnfixed: true })).map((m) => m.id)).toEqual(['CVE-3']);
  });
  it('severity: distro, else database, else CVSS v3, else v4, else UNKNOWN', async () => {
    const v3 = { type: 'CVSS_V3' as const, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 };
    const v4 = { type: 'CVSS_V4' as const, vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N', score: Number.NaN };
    const cases: [Advisory, string, string][] = [
      [advisory('CVE-1', { ranges: [eco({ introduced: '0' })], severity: 'LOW', ecosystem: 'Debian:12', name: 'pkg' }, { severity: 'HIGH', cvss: [v3] }), 'LOW', 'debian'],
      [advisory('GHSA-x', { ranges: [eco({ introduced: '0' })] }, { severity: 'HIGH', cvss: [v3] }), 'HIGH', 'ghsa'],
      [advisory('CVE-2', { ranges: [eco({ introduced: '0' })] }, { cvss: [v3, v4] }), 'CRITICAL', 'cvss-v3'],
      // a v4 vector without a stored score is scored from the vector
      [advisory('CVE-3', { ranges: [eco({ introduced: '0' })] }, { cvss: [v4] }), 'MEDIUM', 'cvss-v4'],
      [advisory('CVE-4', { ranges: [eco({ introduced: '0' })] }), 'UNKNOWN', 'none'],
    ];
    for (const [record, severity, source] of cases) {
      const p = { ...npm('1.0.0'), ecosystem: record.affected[0]?.ecosystem ?? 'npm' };
      const [match] = await matchPackages([p], inMemoryLookup([record]));
      expect([record.id, match?.severity, match?.severitySource]).toEqual([record.id, severity, source]);
    }
  });
});

describe('lookups', () => {
  it('one candidates() call per ecosystem and batch of names, never per package', async () => {
    const calls: [string, number][] = [];
    const store = {
      async candidates(ecosystem: string, names: readonly string[]): Promise<Map<string, AdvisoryCandidate[]>> {
        calls.push([ecosystem, names.length]);
        return new Map();
      },
    };
    const packages: MatchablePackage[] = [];
    for (let i = 0; i < 2500; i++) packages.push(npm('1.0.0', `n${i}`), npm('2.0.0', `n${i}`));
    packages.push({ ref: 'p', ecosystem: 'PyPI', name: 'django', version: '4.2' });
    await matchPackages(packages, store, { batchSize: 1000 });
    expect(calls).toEqual([
      ['npm', 1000],
      ['npm', 1000],
      ['npm', 500],
      ['PyPI', 1],
    ]);
  });
  it('packages of ecosystems without an ordering are counted, not looked up', async () => {
    const lookup = inMemoryLookup([]);
    const { stats } = await matchPackagesWithStats([{ ref: 'x', ecosystem: 'NuGet', name: 'x', version: '1' }], lookup);
    expect(stats.unsupportedEcosystems).toEqual({ NuGet: 1 });
    expect(lookup.calls).toBe(0);
  });
});
