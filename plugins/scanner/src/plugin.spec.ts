import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type FindingReport, type FindingResult, type PackageResult, type TaskContext, type TaskPlatform } from '@bulkhead/plugin-sdk';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { testImages, type TestImages } from '@bulkhead/testing';
import { createEmbeddedAdvisoryStore, type Advisory, type AdvisoryStore, type MatchablePackage, type VulnerabilityMatch } from '@bulkhead/vulndb';
import { createScanImageTask } from './plugin';
import { matchInventory, type PackageMatcher, type ScanImageDependencies } from './vulnerability-scan';

/*
 * The scan-image task's vulnerability part with a stand-in matcher (the real one is vulndb's,
 * tested there and end to end in vulnerability-scan.spec.ts): which store it opens, what it
 * emits and under which FindingReport, and how it reports a missing database.
 */

let images: TestImages;
let work: string;

beforeAll(async () => {
  images = await testImages();
  work = mkdtempSync(path.join(tmpdir(), 'bh-scan-task-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OPENSSL: Advisory = {
  id: 'DEBIAN-CVE-2023-5678',
  source: 'test',
  aliases: ['CVE-2023-5678'],
  summary: 'openssl: excessive time spent in DH check',
  cvss: [],
  references: [],
  affected: [{ ecosystem: 'Debian:12', name: 'openssl', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }] }], versions: [] }],
};

async function* records(...advisories: Advisory[]): AsyncIterable<Advisory> {
  yield* advisories;
}

/** A stand-in matcher: every candidate of the package's name is a match with a fixed version. */
const candidateMatcher: PackageMatcher = async (packages, store) => {
  const byEcosystem = new Map<string, MatchablePackage[]>();
  for (const p of packages) byEcosystem.set(p.ecosystem, [...(byEcosystem.get(p.ecosystem) ?? []), p]);
  const matches: VulnerabilityMatch[] = [];
  for (const [ecosystem, list] of byEcosystem) {
    const candidates = await store.candidates(ecosystem, [...new Set(list.map((p) => p.name))]);
    for (const p of list) {
      for (const { advisory, affected } of candidates.get(p.name) ?? []) {
        const fixed = affected.ranges.flatMap((r) => r.events).find((e): e is { fixed: string } => 'fixed' in e)?.fixed;
        matches.push({ ref: p.ref, id: advisory.aliases[0] ?? advisory.id, aliases: [advisory.id], severity: 'MEDIUM', severitySource: 'test', title: advisory.summary ?? '', installedVersion: p.version, ...(fixed ? { fixedVersion: fixed } : {}), status: 'fixed', evidence: [{ advisoryId: advisory.id, source: advisory.source }] });
      }
    }
  }
  return matches;
};

interface Emitted {
  findings: { findings: readonly FindingResult[]; report?: FindingReport }[];
}

function context(platform?: TaskPlatform): { ctx: TaskContext; emitted: Emitted } {
  const emitted: Emitted = { findings: [] };
  const ctx: TaskContext = {
    taskId: 't',
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => ctx.logger },
    signal: new AbortController().signal,
    workDir: work,
    emit: { artifact: async () => undefined, packages: async () => undefined, findings: async (findings, report) => void emitted.findings.push({ findings, ...(report ? { report } : {}) }) },
    progress: () => undefined,
    extensions: (() => []) as TaskContext['extensions'],
    ...(platform ? { platform } : {}),
  };
  return { ctx, emitted };
}

async function storeWith(dir: string, ...advisories: Advisory[]): Promise<void> {
  const store = createEmbeddedAdvisoryStore(dir);
  try {
    await store.import('test', records(...advisories));
  } finally {
    await store.close();
  }
}

describe('scan-image vulnerability matching', () => {
  const deps = (platformStore?: (db: unknown) => AdvisoryStore): ScanImageDependencies => ({
    match: candidateMatcher,
    platformStore: platformStore ?? (() => {
      throw new Error('no platform store in this test');
    }),
  });

  it('matches against the embedded store inline and emits a complete report for the image', async () => {
    const cacheDir = path.join(work, 'cache-a');
    await storeWith(cacheDir, OPENSSL);
    const task = createScanImageTask(deps());
    const { ctx, emitted } = context();
    const summary = await task.run(task.input.parse({ source: `oci:${images.tinyOciLayout}`, cacheDir }), ctx);
    expect(summary.vulnerabilityScan).toMatchObject({ status: 'checked', database: path.join(cacheDir, 'vulndb', 'advisories.sqlite'), advisories: 1, packagesNotCovered: 0 });
    expect(summary.vulnerabilityCount).toBe(2); // libssl3 and openssl, both built from source openssl
    const [call] = emitted.findings;
    expect(call?.report).toEqual({ producer: 'scanner/vulnerability', scope: summary.digest });
    expect(call?.findings.map((f) => [f.ruleId, f.location, f.target])).toEqual([
      ['CVE-2023-5678', expect.stringMatching(/^pkg:deb\/debian\/libssl3@3\.0\.11-1~deb12u2\?arch=amd64&distro=debian-12( \(var\/lib\/dpkg\/status\))?$/), summary.digest],
      ['CVE-2023-5678', expect.stringMatching(/^pkg:deb\/debian\/openssl@/), summary.digest],
    ]);
    expect(call?.findings[0]?.data).toMatchObject({ findingType: 'vulnerability', installedVersion: '3.0.11-1~deb12u2', fixedVersion: '3.0.13-1~deb12u1', package: { name: 'libssl3' } });
  });

  it('reports an empty database as no advisory data and emits no vulnerability report (earlier findings stay open)', async () => {
    const cacheDir = path.join(work, 'cache-empty');
    await storeWith(cacheDir);
    const task = createScanImageTask(deps());
    const { ctx, emitted } = context();
    const summary = await task.run(task.input.parse({ source: `oci:${images.tinyOciLayout}`, cacheDir }), ctx);
    expect(summary.vulnerabilityScan).toMatchObject({ status: 'no-advisory-data', message: expect.stringMatching(/^the advisory database at .*advisories\.sqlite holds no advisories: run bulkhead db import/) });
    expect(emitted.findings.filter((c) => c.report?.producer === 'scanner/vulnerability')).toEqual([]);
  });

  it('uses the platform store on a worker, never the cache directory', async () => {
    const cacheDir = path.join(work, 'cache-platform');
    await storeWith(cacheDir, OPENSSL);
    const opened: unknown[] = [];
    const database = { query: async () => [], transaction: async () => undefined } as unknown as TaskPlatform['database'];
    const task = createScanImageTask(
      deps((db) => {
        opened.push(db);
        return createEmbeddedAdvisoryStore(cacheDir); // stands in for the Postgres store
      }),
    );
    const { ctx } = context({ team: 'default', database, submitTask: async () => ({ id: 'x' }) } as unknown as TaskPlatform);
    const summary = await task.run(task.input.parse({ source: `oci:${images.tinyOciLayout}` }), ctx);
    expect(opened).toEqual([database]);
    expect(summary.vulnerabilityScan).toMatchObject({ status: 'checked', database: 'postgres' });
  });

  it('keeps cacheDir out of a server client\'s reach, and skips matching when vuln is not asked for', async () => {
    const task = createScanImageTask(deps());
    expect(task.serverInputs?.(task.input.parse({ source: 'docker-archive:/images/a.tar', cacheDir: '/tmp/x' }))).toEqual({ paths: [{ field: 'source', path: '/images/a.tar' }], trustedFields: ['cacheDir'] });
    expect(task.serverInputs?.(task.input.parse({ source: 'sbom:/boms/a.json' }))).toEqual({ paths: [{ field: 'source', path: '/boms/a.json' }], trustedFields: [] });
    const { ctx, emitted } = context();
    const summary = await task.run(task.input.parse({ source: `oci:${images.tinyOciLayout}`, scanners: ['secret'], cacheDir: path.join(work, 'never') }), ctx);
    expect(summary.vulnerabilityScan).toEqual({ status: 'not-requested' });
    // only the (empty) secret report of this image
    expect(emitted.findings).toEqual([{ findings: [], report: { producer: 'scanner/secret', scope: summary.digest } }]);
    expect(task.input.safeParse({ source: 'x', scanners: ['license'] }).success).toBe(false);
    expect(task.input.safeParse({ source: 'x', scanners: [] }).success).toBe(false);
  });
});

describe('scan-image secrets', () => {
  it('reports secrets as a complete report per image, redacted, and says an SBOM has none to check', async () => {
    const token = `ghp_${'Zq8Lm2Xv5Tn9Rb4Kc7Wd1Hf6Jp3Ys0Ga8Ue2'}`;
    const archive = path.join(work, 'secret.tar');
    await testImageBuilder.writeDockerArchive(archive, [{ entries: [{ name: 'srv/deploy.sh', content: `#!/bin/sh\nexport GITHUB_TOKEN=${token}\n` }] }]);
    const task = createScanImageTask({ match: candidateMatcher, platformStore: () => ({}) as AdvisoryStore });
    const { ctx, emitted } = context();
    const summary = await task.run(task.input.parse({ source: `docker-archive:${archive}`, scanners: ['secret'] }), ctx);
    expect(summary).toMatchObject({ secretScan: { status: 'checked' }, secretCount: 1 });
    const [call] = emitted.findings;
    expect(call?.report).toEqual({ producer: 'scanner/secret', scope: summary.digest });
    expect(call?.findings.map((f) => [f.ruleId, f.location])).toEqual([['github-pat', 'srv/deploy.sh:2']]);
    expect(JSON.stringify(emitted)).not.toContain(token);

    const bom = path.join(work, 'empty.cdx.json');
    writeFileSync(bom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }));
    const sbom = await task.run(task.input.parse({ source: `sbom:${bom}`, scanners: ['secret'] }), context().ctx);
    expect(sbom.secretScan).toEqual({ status: 'not-applicable', message: 'an SBOM lists packages, not files' });
  });
});

describe('matchInventory', () => {
  const packages: PackageResult[] = [
    { type: 'npm', name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15', path: 'app/package-lock.json' },
    { type: 'deb', name: 'libssl3', version: '3.0.11-1~deb12u2', sourceName: 'openssl', purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2' },
    { type: 'generic', name: 'thing', version: '1', purl: 'pkg:generic/thing@1' },
  ];

  it('maps packages to ecosystems, counts those no advisory source covers, and keeps unfixed ones unless asked', async () => {
    const seen: MatchablePackage[][] = [];
    const matcher: PackageMatcher = async (list) => {
      seen.push(list);
      return [
        { ref: '0', id: 'CVE-A', aliases: [], severity: 'HIGH', severitySource: 'ghsa', title: 'a', installedVersion: '4.17.15', fixedVersion: '4.17.19', status: 'fixed', evidence: [] },
        { ref: '1', id: 'CVE-B', aliases: [], severity: 'LOW', severitySource: 'debian', title: 'b', installedVersion: '3.0.11-1~deb12u2', status: 'affected', evidence: [] },
      ];
    };
    const store = {} as AdvisoryStore;
    const all = await matchInventory('sha256:t', packages, { family: 'debian', version: '12' }, store, matcher, { ignoreUnfixed: false });
    expect(seen[0]).toEqual([
      { ref: '0', ecosystem: 'npm', name: 'lodash', version: '4.17.15' },
      { ref: '1', ecosystem: 'Debian:12', name: 'openssl', version: '3.0.11-1~deb12u2' },
    ]);
    expect([all.packagesChecked, all.packagesNotCovered]).toEqual([2, 1]);
    expect(all.findings.map((f) => f.ruleId)).toEqual(['CVE-A', 'CVE-B']);
    expect((await matchInventory('sha256:t', packages, undefined, store, matcher, { ignoreUnfixed: true })).findings.map((f) => f.ruleId)).toEqual(['CVE-A']);
    // without an OS the distro packages cannot be matched: counted as not covered
    expect((await matchInventory('sha256:t', packages, undefined, store, matcher, { ignoreUnfixed: false })).packagesNotCovered).toBe(2);
    await expect(matchInventory('sha256:t', packages, undefined, store, async () => [{ ref: '9' } as VulnerabilityMatch], { ignoreUnfixed: false })).rejects.toThrow('unknown package ref "9"');
  });
});
