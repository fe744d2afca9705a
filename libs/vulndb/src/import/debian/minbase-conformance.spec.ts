import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { matchablePackage } from '../../ecosystem';
import { inMemoryLookup, matchPackagesWithStats } from '../../match';
import type { Advisory, MatchablePackage } from '../../model';
import { isRejected } from '../osv-record';
import { readAdvisories } from '../read-advisories';

/*
 * End to end without a store: the tracker's own list files (data/CVE/list.subset and
 * data/DSA/list.subset), converted by this importer, matched by the matcher against the bookworm
 * minbase package set, give the 45 detections of expected-trivy-semantics-bookworm.json.
 */
describeWithShared('Debian tracker lists → matcher: the bookworm minbase detections', (shared) => {
  const dir = path.join(shared, 'vulndata', 'debian-security-tracker');
  const minbase = (JSON.parse(readFileSync(path.join(dir, 'bookworm-minbase-packages.json'), 'utf8')) as { packages: { package: string; version: string; source: string; source_version: string }[] })
    .packages;
  const expected = (
    JSON.parse(readFileSync(path.join(dir, 'expected-trivy-semantics-bookworm.json'), 'utf8')) as {
      detected_on_minbase: { PkgName: string; VulnerabilityID: string; FixedVersion: string; Status: string; DebianSeverity: string; VendorIDs: string[] }[];
    }
  ).detected_on_minbase;
  const packages: MatchablePackage[] = minbase.map((p) => {
    const matchable = matchablePackage(p.package, { type: 'deb', name: p.package, version: p.version, sourceName: p.source, sourceVersion: p.source_version }, { family: 'debian', version: '12.11' });
    if (!matchable) throw new Error(`no matchable package for ${p.package}`);
    return matchable;
  });
  const lists = [path.join(dir, 'data', 'CVE', 'list.subset'), path.join(dir, 'data', 'DSA', 'list.subset')];
  const installed = new Map(minbase.map((p) => [p.source, p.source_version]));

  async function convert(withReleaseVersions: boolean): Promise<Advisory[]> {
    const advisories: Advisory[] = [];
    for await (const item of readAdvisories(lists, { debianReleases: ['bookworm'], ...(withReleaseVersions ? { debianReleaseVersion: (_codename: string, pkg: string) => installed.get(pkg) } : {}) })) {
      if (isRejected(item)) throw new Error(`${item.where}: ${item.reason}`);
      advisories.push(item);
    }
    return advisories;
  }

  it('with bookworm source versions: the 45 detections, fixed versions, statuses, severities', async () => {
    const { matches } = await matchPackagesWithStats(packages, inMemoryLookup(await convert(true)));
    const ours = new Map(matches.map((m) => [`${m.ref} ${m.id}`, m]));
    expect([...ours.keys()].sort()).toEqual(expected.map((d) => `${d.PkgName} ${d.VulnerabilityID}`).sort());
    for (const detection of expected) {
      const match = ours.get(`${detection.PkgName} ${detection.VulnerabilityID}`);
      // The one argued difference (see tracker-lists-reader.spec.ts): the [bookworm] line's fix.
      const want =
        detection.VulnerabilityID === 'CVE-2023-31484'
          ? { status: 'fixed', fixedVersion: '5.36.0-7+deb12u3', severity: detection.DebianSeverity }
          : { status: detection.Status, fixedVersion: detection.FixedVersion, severity: detection.DebianSeverity };
      expect([detection.PkgName, detection.VulnerabilityID, { status: match?.status, fixedVersion: match?.fixedVersion ?? '', severity: match?.severity }]).toEqual([
        detection.PkgName,
        detection.VulnerabilityID,
        want,
      ]);
    }
  });

  it('without source versions: the same 45 detections; unstable-only fixes then name the unstable version', async () => {
    const { matches } = await matchPackagesWithStats(packages, inMemoryLookup(await convert(false)));
    expect(matches.map((m) => `${m.ref} ${m.id}`).sort()).toEqual(expected.map((d) => `${d.PkgName} ${d.VulnerabilityID}`).sort());
    // Without bookworm's Sources index an unstable fix is assumed to have reached bookworm when
    // no [bookworm] line says otherwise, so these two report unstable's fixed version where Trivy
    // (which knows bookworm's versions) says "no fix yet". Detections are unchanged; only the
    // upgrade hint (and --ignore-unfixed) differs.
    const differing = matches
      .filter((m) => m.fixedVersion && !expected.some((d) => d.PkgName === m.ref && d.VulnerabilityID === m.id && d.FixedVersion === m.fixedVersion))
      .map((m) => `${m.ref} ${m.id} ${m.fixedVersion}`)
      .sort();
    expect(differing).toEqual([
      'perl-base CVE-2023-31484 5.36.0-7+deb12u3', // the argued [bookworm] line (not unstable's)
      'perl-base CVE-2023-31486 5.38.2-2',
      'zlib1g CVE-2023-45853 1:1.3.dfsg-2',
    ]);
  });
});
