import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { normalizePackageName } from '../ecosystem';
import type { Advisory, MatchablePackage } from '../model';
import { inMemoryLookup } from './in-memory-lookup';
import { matchPackagesWithStats } from './matcher';
import { readOsvFolder } from './osv-fixtures.testing';

function pkg(ecosystem: string, name: string, version: string): MatchablePackage {
  return { ref: `${name}@${version}`, ecosystem, name: normalizePackageName(ecosystem, name), version };
}

async function idsFor(advisories: Advisory[], p: MatchablePackage): Promise<Record<string, string | undefined>> {
  const { matches } = await matchPackagesWithStats([p], inMemoryLookup(advisories));
  return Object.fromEntries(matches.map((m) => [m.id, m.fixedVersion]));
}

describeWithShared('npm GHSA records (vulndata/ghsa-npm)', (shared) => {
  const advisories = readOsvFolder(path.join(shared, 'vulndata', 'ghsa-npm', 'osv'), 'osv:ghsa-npm');

  it('lodash 4.17.4 has the seven lodash advisories it is in range of, each with its fix', async () => {
    expect(await idsFor(advisories, pkg('npm', 'lodash', '4.17.4'))).toEqual({
      'CVE-2018-3721': '4.17.5',
      'CVE-2018-16487': '4.17.11',
      'CVE-2019-10744': '4.17.12',
      'CVE-2019-1010266': '4.17.11',
      'CVE-2020-8203': '4.17.19',
      'CVE-2020-28500': '4.17.21',
      'CVE-2021-23337': '4.17.21',
    });
  });
  it('lodash 4.17.21 (fixed) and 3.6.0 (before the later introductions) are matched exactly', async () => {
    expect(await idsFor(advisories, pkg('npm', 'lodash', '4.17.21'))).toEqual({});
    expect(Object.keys(await idsFor(advisories, pkg('npm', 'lodash', '3.6.0'))).sort()).toEqual(['CVE-2018-16487', 'CVE-2018-3721', 'CVE-2019-10744', 'CVE-2021-23337']);
  });
  it('the withdrawn minimist record (GHSA-7fhm-mqm4-2wp7) never matches', async () => {
    const { matches, stats } = await matchPackagesWithStats([pkg('npm', 'minimist', '1.2.0')], inMemoryLookup(advisories));
    expect(Object.fromEntries(matches.map((m) => [m.id, m.fixedVersion]))).toEqual({ 'CVE-2020-7598': '1.2.3', 'CVE-2021-44906': '1.2.6' });
    expect(matches.flatMap((m) => [m.id, ...m.aliases])).not.toContain('GHSA-7fhm-mqm4-2wp7');
    expect(stats.withdrawnIgnored).toBe(1);
    expect(await idsFor(advisories, pkg('npm', 'minimist', '1.2.6'))).toEqual({});
    expect(await idsFor(advisories, pkg('npm', 'minimist', '0.2.0'))).toEqual({ 'CVE-2020-7598': '0.2.1', 'CVE-2021-44906': '0.2.4' });
  });
  it('pre-releases order before their release (express 5.0.0-beta.1)', async () => {
    expect(await idsFor(advisories, pkg('npm', 'express', '5.0.0-beta.1'))).toEqual({ 'CVE-2024-29041': '5.0.0-beta.3', 'CVE-2024-43796': '5.0.0' });
    expect(await idsFor(advisories, pkg('npm', 'semver', '6.3.0'))).toEqual({ 'CVE-2022-25883': '6.3.1' });
  });
  it('a match carries the GHSA id as alias, GitHub severity and the CVSS score', async () => {
    const { matches } = await matchPackagesWithStats([pkg('npm', 'lodash', '4.17.11')], inMemoryLookup(advisories));
    expect(matches.find((m) => m.id === 'CVE-2019-10744')).toMatchObject({
      aliases: ['GHSA-jf85-cpcp-j695'],
      severity: 'CRITICAL',
      severitySource: 'ghsa',
      cvssScore: 9.1,
      status: 'fixed',
      evidence: [{ advisoryId: 'GHSA-jf85-cpcp-j695', source: 'osv:ghsa-npm', range: { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.17.12' }] } }],
    });
  });
});

describeWithShared('PyPI records (vulndata/pypa-advisory-database)', (shared) => {
  const advisories = readOsvFolder(path.join(shared, 'vulndata', 'pypa-advisory-database', 'vulns'), 'osv:pypa');

  it('requests 2.2.1 gets its four PYSEC advisories, under their CVE ids', async () => {
    const { matches, stats } = await matchPackagesWithStats([pkg('PyPI', 'requests', '2.2.1')], inMemoryLookup(advisories));
    expect(Object.fromEntries(matches.map((m) => [m.id, m.fixedVersion]))).toEqual({
      'CVE-2014-1829': '2.3.0',
      'CVE-2014-1830': '2.3.0',
      'CVE-2015-2296': '2.6.0',
      'CVE-2018-18074': '2.20.0',
    });
    expect(matches.find((m) => m.id === 'CVE-2014-1829')?.aliases).toEqual(['GHSA-cfj3-7x9c-4p3h', 'PYSEC-2014-13']);
    // the records' GIT ranges (fix commits) are skipped and counted, never matched
    expect(stats.gitRangesSkipped).toBeGreaterThan(0);
  });
  it('requests 2.31.0 (fixed) matches nothing; names are PEP 503-normalised (PyYAML)', async () => {
    expect(await idsFor(advisories, pkg('PyPI', 'requests', '2.31.0'))).toEqual({});
    expect(await idsFor(advisories, pkg('PyPI', 'PyYAML', '5.1'))).toEqual({ 'CVE-2019-20477': '5.2b1', 'CVE-2020-1747': '5.3.1', 'CVE-2020-14343': '5.4' });
    // 5.2b1 is the fix of CVE-2019-20477 and a pre-release of 5.2, still before 5.3.1 and 5.4
    expect(await idsFor(advisories, pkg('PyPI', 'pyyaml', '5.2b1'))).toEqual({ 'CVE-2020-1747': '5.3.1', 'CVE-2020-14343': '5.4' });
  });
  it('an installed version PEP 440 cannot read still matches an explicit versions list, and is reported', async () => {
    // paramiko's early releases ("0.9-doduo") are no PEP 440 versions; PYSEC-2008-8 lists them
    const { matches, stats } = await matchPackagesWithStats([pkg('PyPI', 'paramiko', '0.9-doduo')], inMemoryLookup(advisories));
    const listed = matches.find((m) => m.aliases.includes('PYSEC-2008-8'));
    expect(listed?.evidence.find((e) => e.advisoryId === 'PYSEC-2008-8')).toEqual({ advisoryId: 'PYSEC-2008-8', source: 'osv:pypa', listedVersion: '0.9-doduo' });
    expect(listed?.fixedVersion).toBeUndefined();
    expect(stats.invalidVersions).toEqual([{ ref: 'paramiko@0.9-doduo', ecosystem: 'PyPI', version: '0.9-doduo', reason: 'invalid pep440 version "0.9-doduo": not a PEP 440 version' }]);
  });
});

describe('Alpine (secdb entries built by hand, as the secdb importer writes them)', () => {
  // secdb v3.10 main: musl secfixes 1.1.22-r3: CVE-2019-14697, 1.1.15-r4: CVE-2016-8859;
  // openssl 1.1.1d-r0: CVE-2019-1547 / 1549 / 1563.
  const secfix = (cve: string, name: string, fixed: string): Advisory => ({
    id: cve,
    source: 'alpine-secdb',
    aliases: [],
    cvss: [],
    references: [],
    affected: [{ ecosystem: 'Alpine:v3.10', name, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }], versions: [] }],
  });
  const advisories = [
    secfix('CVE-2019-14697', 'musl', '1.1.22-r3'),
    secfix('CVE-2016-8859', 'musl', '1.1.15-r4'),
    secfix('CVE-2019-1547', 'openssl', '1.1.1d-r0'),
    secfix('CVE-2019-1549', 'openssl', '1.1.1d-r0'),
  ];

  it('musl 1.1.22-r2 is affected by CVE-2019-14697 (fixed 1.1.22-r3); r3 is not', async () => {
    expect(await idsFor(advisories, pkg('Alpine:v3.10', 'musl', '1.1.22-r2'))).toEqual({ 'CVE-2019-14697': '1.1.22-r3' });
    expect(await idsFor(advisories, pkg('Alpine:v3.10', 'musl', '1.1.22-r3'))).toEqual({});
  });
  it('binary packages match through their origin (libssl1.1 → openssl), as in the alpine-310 golden', async () => {
    const libssl: MatchablePackage = { ref: 'libssl1.1', ecosystem: 'Alpine:v3.10', name: 'openssl', version: '1.1.1c-r0' };
    const { matches } = await matchPackagesWithStats([libssl], inMemoryLookup(advisories));
    expect(matches.map((m) => [m.ref, m.id, m.fixedVersion, m.status])).toEqual([
      ['libssl1.1', 'CVE-2019-1547', '1.1.1d-r0', 'fixed'],
      ['libssl1.1', 'CVE-2019-1549', '1.1.1d-r0', 'fixed'],
    ]);
    // secdb carries no severity; Trivy's golden shows NVD's, which Bulkhead does not import
    expect(matches[0]).toMatchObject({ severity: 'UNKNOWN', severitySource: 'none' });
  });
  it('another release does not see them (Alpine:v3.11 ≠ Alpine:v3.10)', async () => {
    expect(await idsFor(advisories, pkg('Alpine:v3.11', 'musl', '1.1.22-r2'))).toEqual({});
  });
});
