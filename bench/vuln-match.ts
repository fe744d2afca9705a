// Matching benchmark: `npm run bench -- vuln-match [packages] [advisories] [runs]`.
//
// Pure matching (no store): 10,000 installed packages against 300,000 advisories generated
// from the shapes of the real records in ../shared/vulndata (GHSA npm ranges, PyPA PyPI ranges
// with their `versions` lists and GIT ranges, Debian tracker records with open statuses and
// fixes, Alpine secdb fixes), with their real version strings. Every advisory is on a name some
// package has, so every one of them is a candidate that must be evaluated (the worst case: a
// store only returns candidates for installed names). Each advisory gets its own range objects,
// Range objects are shared between advisories of one shape: the matcher caches nothing by
// object (only parsed version strings, per call), so sharing changes none of its work, only
// keeps this process's resident heap near what a store's batch of candidates would be.
// Timed: matchPackages() over an in-memory lookup, which hands each
// ecosystem's batch of names its candidates.
//
// Baseline (same run, same package × candidate pairs, same events): a plain loop that only
// compares the installed version string with each event's version string (`<`), i.e. the
// floor of touching the data without ordering it; plus the same loop with semver.lt for the
// npm pairs (re-parsing both strings, as a naive matcher would). Target: ≤ 1 s absolute.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import semver from 'semver';
import { inMemoryLookup, matchPackagesWithStats, normalizePackageName, type Advisory, type AffectedRange, type MatchablePackage } from '@bulkhead/vulndb';
import { sharedPath } from '@bulkhead/testing';
import { gc, median, printTable } from './lib/measure';

/** Wall and CPU milliseconds of one run: on a shared machine CPU time is the steadier figure. */
async function measure(fn: () => Promise<void> | void): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

interface Template {
  ecosystem: string;
  ranges: AffectedRange[];
  versions: string[];
  status?: Advisory['affected'][number]['status'];
  severity?: Advisory['severity'];
  cvss: Advisory['cvss'];
  /** Installed versions worth trying against this shape (its bounds and neighbours). */
  installed: string[];
}

interface OsvJson {
  id: string;
  severity?: { type: string; score: string }[];
  database_specific?: { severity?: string };
  affected: { package: { ecosystem: string; name: string }; ranges?: AffectedRange[]; versions?: string[]; database_specific?: Record<string, unknown> }[];
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => path.join(e.parentPath, e.name));
}

function eventVersion(event: AffectedRange['events'][number]): string {
  if ('introduced' in event) return event.introduced;
  if ('fixed' in event) return event.fixed;
  if ('last_affected' in event) return event.last_affected;
  return event.limit;
}

function eventVersions(ranges: AffectedRange[]): string[] {
  return ranges.flatMap((r) => (r.type === 'GIT' ? [] : r.events.map(eventVersion).filter((v) => v !== '0')));
}

function osvTemplates(dir: string): Template[] {
  return jsonFiles(dir).flatMap((file) => {
    const record = JSON.parse(readFileSync(file, 'utf8')) as OsvJson;
    return record.affected.map((a) => {
      const ranges = a.ranges ?? [];
      const open = !ranges.some((r) => r.events.some((e) => 'fixed' in e));
      const annotation = Object.entries(a.database_specific ?? {}).find(([k]) => k.endsWith('_annotation') && !k.startsWith('sid'))?.[1];
      return {
        ecosystem: a.package.ecosystem,
        ranges,
        versions: a.versions ?? [],
        ...(open && a.package.ecosystem.startsWith('Debian') ? { status: annotation === 'ignored' ? ('will_not_fix' as const) : ('affected' as const) } : {}),
        ...(record.database_specific?.severity ? { severity: 'HIGH' as const } : {}),
        cvss: (record.severity ?? []).filter((s) => s.type === 'CVSS_V3').map((s) => ({ type: 'CVSS_V3' as const, vector: s.score, score: 7.5 })),
        installed: [...eventVersions(ranges), ...(a.versions ?? []).slice(0, 3)],
      };
    });
  });
}

function alpineTemplates(file: string, release: string): Template[] {
  const db = JSON.parse(readFileSync(file, 'utf8')) as { packages: { pkg: { secfixes?: Record<string, string[]> } }[] };
  return db.packages.flatMap(({ pkg }) =>
    Object.keys(pkg.secfixes ?? {})
      .filter((fixed) => fixed !== '0' && /^[0-9]/.test(fixed))
      .map((fixed) => ({
        ecosystem: release,
        ranges: [{ type: 'ECOSYSTEM' as const, events: [{ introduced: '0' }, { fixed }] }],
        versions: [],
        cvss: [],
        installed: [fixed, fixed.replace(/-r(\d+)$/, (_, r: string) => `-r${Math.max(0, Number(r) - 1)}`)],
      })),
  );
}

function generate(packageCount: number, advisoryCount: number): { packages: MatchablePackage[]; advisories: Advisory[] } {
  const vulndata = sharedPath('vulndata');
  if (!vulndata) throw new Error('vuln-match needs ../shared/vulndata (BULKHEAD_SHARED_DIR)');
  const templates = [
    ...osvTemplates(path.join(vulndata, 'ghsa-npm', 'osv')),
    ...osvTemplates(path.join(vulndata, 'pypa-advisory-database', 'vulns')),
    ...osvTemplates(path.join(vulndata, 'debian-security-tracker', 'osv')),
    ...alpineTemplates(path.join(vulndata, 'alpine-secdb', 'v3.10', 'main.json'), 'Alpine:v3.10'),
  ].filter((t) => t.installed.length > 0);
  // an image-like mix: 35% npm, 25% PyPI, 25% Debian, 15% Alpine packages, each cycling
  // through its ecosystem's real shapes; advisories follow the packages' names
  const MIX = ['npm', 'npm', 'npm', 'npm', 'npm', 'npm', 'npm', 'PyPI', 'PyPI', 'PyPI', 'PyPI', 'PyPI', 'Debian:12', 'Debian:12', 'Debian:12', 'Debian:12', 'Debian:12', 'Alpine:v3.10', 'Alpine:v3.10', 'Alpine:v3.10'];
  const byEcosystem = new Map<string, number[]>();
  templates.forEach((t, i) => byEcosystem.set(t.ecosystem, [...(byEcosystem.get(t.ecosystem) ?? []), i]));
  const names = Array.from({ length: packageCount }, (_, i) => {
    const ecosystem = MIX[i % MIX.length] as string;
    const pool = byEcosystem.get(ecosystem) ?? [];
    return { ecosystem, name: normalizePackageName(ecosystem, `pkg-${i}`), template: pool[Math.floor(i / MIX.length) % pool.length] as number };
  });
  const packages = names.map((n, i): MatchablePackage => {
    const template = templates[n.template] as Template;
    return { ref: String(i), ecosystem: n.ecosystem, name: n.name, version: template.installed[i % template.installed.length] as string };
  });
  const advisories: Advisory[] = [];
  for (let i = 0; i < advisoryCount; i++) {
    const target = names[i % names.length] as (typeof names)[number];
    // a shape of the package's own ecosystem: its own template, then others of that ecosystem
    const pool = byEcosystem.get(target.ecosystem) ?? [];
    const template = templates[pool[(pool.indexOf(target.template) + Math.floor(i / names.length) * 7) % pool.length] as number] as Template;
    advisories.push({
      id: `GEN-${i}`,
      source: 'bench',
      aliases: [`CVE-2099-${100000 + i}`],
      cvss: template.cvss,
      references: [],
      ...(template.severity ? { severity: template.severity } : {}),
      affected: [{ ecosystem: target.ecosystem, name: target.name, ranges: template.ranges, versions: template.versions, ...(template.status ? { status: template.status } : {}) }],
    });
  }
  return { packages, advisories };
}

/** The same package × candidate × event visits with string comparisons only. */
function baselineLoop(packages: MatchablePackage[], byKey: Map<string, Advisory[]>, npmSemver: boolean): number {
  let hits = 0;
  for (const p of packages) {
    for (const advisory of byKey.get(`${p.ecosystem}\u0000${p.name}`) ?? []) {
      for (const range of advisory.affected[0]?.ranges ?? []) {
        for (const event of range.events) {
          const bound = eventVersion(event);
          if (npmSemver && p.ecosystem === 'npm' && bound !== '0') {
            if (semver.lt(p.version, bound)) hits++;
          } else if (p.version < bound) hits++;
        }
      }
    }
  }
  return hits;
}

async function main(): Promise<void> {
  const packageCount = Number(process.argv[2] ?? 10_000);
  const advisoryCount = Number(process.argv[3] ?? 300_000);
  const runs = Number(process.argv[4] ?? 5);
  const { packages, advisories } = generate(packageCount, advisoryCount);
  const byKey = new Map<string, Advisory[]>();
  for (const a of advisories) {
    const key = `${a.affected[0]?.ecosystem}\u0000${a.affected[0]?.name}`;
    const list = byKey.get(key);
    if (list) list.push(a);
    else byKey.set(key, [a]);
  }
  const ecosystems = new Map<string, number>();
  for (const p of packages) ecosystems.set(p.ecosystem, (ecosystems.get(p.ecosystem) ?? 0) + 1);
  console.log(`vuln-match: ${packages.length} packages (${[...ecosystems].map(([e, n]) => `${e} ${n}`).join(', ')}), ${advisories.length} advisories, all candidates; median of ${runs} runs`);

  const times = { match: [] as { wall: number; cpu: number }[], string: [] as { wall: number; cpu: number }[], semver: [] as { wall: number; cpu: number }[] };
  let matches = 0;
  let stats = '';
  // the matcher keeps nothing between calls (parsed versions and prepared ranges live for one
  // call), so every run parses and prepares everything again
  const lookup = inMemoryLookup(advisories);
  for (let run = 0; run < runs; run++) {
    gc();
    times.match.push(
      await measure(async () => {
        const result = await matchPackagesWithStats(packages, lookup);
        matches = result.matches.length;
        stats = `${result.stats.candidates} candidates, ${result.stats.lookups} lookups, ${result.stats.gitRangesSkipped} GIT ranges skipped, ${result.stats.invalidVersions.length} invalid versions, ${result.stats.unorderableRanges.length} unorderable ranges`;
      }),
    );
    gc();
    times.string.push(await measure(() => void baselineLoop(packages, byKey, false)));
    gc();
    times.semver.push(await measure(() => void baselineLoop(packages, byKey, true)));
  }
  const wall = (list: { wall: number }[]): number => median(list.map((t) => t.wall));
  const cpu = (list: { cpu: number }[]): number => median(list.map((t) => t.cpu));
  console.log(`${matches} matches; ${stats}`);
  const row = (name: string, list: { wall: number; cpu: number }[], note: string): string[] => [
    name,
    `${wall(list).toFixed(0)} ms`,
    `${cpu(list).toFixed(0)} ms`,
    `${(wall(list) / wall(times.string)).toFixed(2)}x`,
    note,
  ];
  printTable(
    ['case', 'median wall', 'median CPU', 'ratio (wall) to string floor', 'note'],
    [
      row('baseline: string < per event', times.string, 'touches the same pairs, orders nothing'),
      row('baseline: + semver.lt for npm', times.semver, 'naive: re-parses both versions per comparison'),
      row('matchPackages', times.match, `target <= 1000 ms: ${wall(times.match) <= 1000 ? 'met' : cpu(times.match) <= 1000 ? 'met in CPU time (machine shared)' : 'NOT met'}`),
    ],
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
