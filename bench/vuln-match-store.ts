// End-to-end matching benchmark through the embedded store:
// `npm run bench -- vuln-match-store [advisories] [packages] [runs]`.
//
// 10,000 packages matched against 300,000 advisories (generated from the real records' shapes,
// bench/lib/vulndb-corpus.ts) stored in the SQLite advisory store, with the matcher of
// libs/vulndb/src/match: what `bulkhead scan` does after inventory. Issue target: <= 1 s.
// The store is built once per corpus and kept in tmp/bench/ (its import is measured by
// bench/vulndb-store.ts). Timed (median of runs, after one cold run shown separately):
//   measured   matchPackagesWithStats(packages, store): lookups + range evaluation + merging;
//   baseline   the same candidates() calls alone (the store's floor: SQLite reads + JSON parse);
//   also       the matcher alone over the same candidates already in memory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { inMemoryLookup, matchPackagesWithStats, SqliteAdvisoryStore, type Advisory, type MatchablePackage } from '@bulkhead/vulndb';
import { sharedPath } from '@bulkhead/testing';
import { gc, median, printTable } from './lib/measure';
import { loadCorpus, type Corpus } from './lib/vulndb-corpus';

const repoRoot = path.resolve(__dirname, '../..');

interface Timing {
  wallMs: number;
  /** user + system CPU time of this process: what the run costs, whatever else the machine runs. */
  cpuMs: number;
}

async function timed(fn: () => Promise<void>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

function medianTiming(timings: readonly Timing[]): Timing {
  return { wallMs: median(timings.map((t) => t.wallMs)), cpuMs: median(timings.map((t) => t.cpuMs)) };
}

function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

/** The store file for this corpus, built on first use (named by a hash of the corpus inputs). */
async function storeFor(corpus: Corpus): Promise<string> {
  const key = createHash('sha256')
    .update(`v1:${corpus.count}:${corpus.templates.map((t) => t.id).join(',')}`)
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(repoRoot, 'tmp', 'bench');
  const file = path.join(dir, `vulndb-${corpus.count}-${key}.sqlite`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const building = `${file}.building`;
  rmSync(building, { force: true });
  const store = new SqliteAdvisoryStore(building);
  console.log(`building the store (${corpus.count.toLocaleString('en')} advisories) into ${path.relative(repoRoot, file)} ...`);
  const { wallMs: ms } = await timed(async () => void (await store.import('bench', corpus.advisories())));
  await store.close();
  // WAL mode leaves -wal / -shm beside the building file only while it is open.
  renameSync(building, file);
  console.log(`built in ${(ms / 1000).toFixed(1)} s`);
  return file;
}

/** The candidates() calls the matcher makes: one per ecosystem and 1,000 names. */
async function lookupAll(store: SqliteAdvisoryStore, packages: readonly MatchablePackage[]): Promise<Advisory[]> {
  const groups = new Map<string, Set<string>>();
  for (const p of packages) groups.set(p.ecosystem, (groups.get(p.ecosystem) ?? new Set()).add(p.name));
  const advisories = new Set<Advisory>();
  for (const [ecosystem, nameSet] of groups) {
    const names = [...nameSet];
    for (let i = 0; i < names.length; i += 1000) {
      for (const list of (await store.candidates(ecosystem, names.slice(i, i + 1000))).values()) for (const c of list) advisories.add(c.advisory);
    }
  }
  return [...advisories];
}

async function main(): Promise<void> {
  const shared = sharedPath();
  if (!shared) throw new Error('needs ../shared/vulndata (BULKHEAD_SHARED_DIR) for the advisory shapes');
  const count = Number(process.argv[2] ?? 300_000);
  const packageCount = Number(process.argv[3] ?? 10_000);
  const runs = Number(process.argv[4] ?? 5);
  const corpus = await loadCorpus(shared, count);
  const packages = corpus.packages(packageCount);
  const store = new SqliteAdvisoryStore(await storeFor(corpus), { readonly: true });

  let matches = 0;
  let candidates = 0;
  const endToEnd = async (): Promise<void> => {
    const result = await matchPackagesWithStats(packages, store);
    matches = result.matches.length;
    candidates = result.stats.candidates;
  };
  gc();
  const cold = await timed(endToEnd);
  const measured: Timing[] = [];
  const floor: Timing[] = [];
  const matcherOnly: Timing[] = [];
  const inMemory = inMemoryLookup(await lookupAll(store, packages));
  for (let i = 0; i < runs; i++) {
    gc();
    measured.push(await timed(endToEnd));
    gc();
    floor.push(await timed(async () => void (await lookupAll(store, packages))));
    gc();
    matcherOnly.push(await timed(async () => void (await matchPackagesWithStats(packages, inMemory))));
  }
  await store.close();

  const end = medianTiming(measured);
  const base = medianTiming(floor);
  const alone = medianTiming(matcherOnly);
  const row = (name: string, t: Timing, note: string): string[] => [name, `${t.wallMs.toFixed(0)} ms`, `${t.cpuMs.toFixed(0)} ms`, `${(t.wallMs / base.wallMs).toFixed(2)}x`, note];
  console.log(`vuln-match-store: ${packages.length.toLocaleString('en')} packages against ${count.toLocaleString('en')} advisories (SQLite store), median of ${runs} runs`);
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${String(availableParallelism())} CPUs: CPU time is the figure that does not depend on the machine's other work`);
  printTable(
    ['measurement', 'wall', 'CPU', 'ratio to store floor (wall)', 'note'],
    [
      row('match end to end (first run)', cold, 'fresh statement caches; OS page cache as it is'),
      row('match end to end', end, `target <= 1000 ms: ${end.wallMs <= 1000 ? 'met' : 'not met'} (wall), ${end.cpuMs <= 1000 ? 'met' : 'not met'} (CPU)`),
      row('baseline: the same candidates() calls only', base, 'SQLite reads + JSON parse'),
      row('matcher alone, candidates in memory', alone, 'range evaluation + alias merging'),
    ],
  );
  console.log(`${candidates.toLocaleString('en')} candidates evaluated, ${matches.toLocaleString('en')} matches; peak RSS ${(peakRss() / 1e6).toFixed(1)} MB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
