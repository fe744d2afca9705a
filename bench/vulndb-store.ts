// Embedded advisory store benchmark: `npm run bench -- vulndb-store [advisories] [lookups]`.
//
// The issue asks for the CLI's embedded store to be "chosen by measurement". This imports the
// same generated advisories (default 300,000, from the real records' shapes: bench/lib/
// vulndb-corpus.ts) into the two candidates through the same AdvisoryStore code paths:
//   - SQLite (better-sqlite3): SqliteAdvisoryStore, as `bulkhead db import` does;
//   - PGlite (Postgres compiled to WASM, on disk): the server's PostgresAdvisoryStore and its
//     migrations over a PGlite PluginDatabase, so both run one import transaction with the same
//     indexes (ecosystem+name, alias, id).
// and measures: import time, size on disk, candidates() for 10,000 package lookups (batched per
// ecosystem as the matcher asks: first pass and warm; and one name per call: p50 / p95), the time to open the store
// again, and peak RSS (VmHWM of a child process per engine, so each engine's memory is its own).
// PGlite is the same-run baseline; the ratio is SQLite / PGlite (below 1: SQLite is better).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { ADVISORY_STORE_MIGRATIONS, PostgresAdvisoryStore, SqliteAdvisoryStore, type AdvisoryStore, type MatchablePackage } from '@bulkhead/vulndb';
import { sharedPath } from '@bulkhead/testing';
import { median, printTable } from './lib/measure';
import { loadCorpus } from './lib/vulndb-corpus';

type Engine = 'sqlite' | 'pglite';

interface ChildResult {
  engine: Engine;
  importMs: number;
  /** user + system CPU time of the child: independent of the machine's other work. */
  importCpuMs: number;
  batchedWarmCpuMs: number;
  imported: number;
  reopenMs: number;
  batchedColdMs: number;
  batchedLookupMs: number;
  singleLookupP50Ms: number;
  singleLookupP95Ms: number;
  singleLookupTotalMs: number;
  candidatesFound: number;
  diskBytes: number;
  peakRssBytes: number;
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

function diskUsage(target: string): number {
  const info = statSync(target);
  if (!info.isDirectory()) return info.size;
  return readdirSync(target).reduce((sum, name) => sum + diskUsage(path.join(target, name)), 0);
}

/** PluginDatabase over PGlite: parameterless SQL may hold several statements (migrations). */
function pgliteDatabase(pg: PGlite): PluginDatabase {
  type Runner = Pick<PGlite, 'query' | 'exec'>;
  const queryOn =
    (runner: Runner) =>
    async <T>(sql: string, parameters: readonly unknown[] = []): Promise<T[]> => {
      if (parameters.length > 0) return (await runner.query<T>(sql, [...parameters])).rows;
      const results = await runner.exec(sql);
      return (results.at(-1)?.rows ?? []) as T[];
    };
  return {
    query: queryOn(pg),
    transaction: (work) => pg.transaction((tx) => work({ query: queryOn(tx as unknown as Runner) })),
  };
}

async function openEngine(engine: Engine, dir: string, create: boolean): Promise<{ store: AdvisoryStore; close: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const store = new SqliteAdvisoryStore(path.join(dir, 'advisories.sqlite'), { readonly: !create });
    return { store, close: () => store.close() };
  }
  const pg = new PGlite(path.join(dir, 'pgdata'));
  await pg.waitReady;
  const database = pgliteDatabase(pg);
  if (create) for (const step of ADVISORY_STORE_MIGRATIONS) await database.transaction((q) => step.up(q));
  return { store: new PostgresAdvisoryStore(database), close: () => pg.close() };
}

function byEcosystem(packages: readonly MatchablePackage[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const p of packages) groups.set(p.ecosystem, [...(groups.get(p.ecosystem) ?? []), p.name]);
  return groups;
}

async function child(engine: Engine, dir: string, count: number, lookups: number): Promise<void> {
  const corpus = await loadCorpus(sharedPath() ?? '', count);
  const packages = corpus.packages(lookups);

  let opened = await openEngine(engine, dir, true);
  let cpu = process.cpuUsage();
  let start = performance.now();
  const report = await opened.store.import('bench', corpus.advisories());
  const importMs = performance.now() - start;
  const importCpuMs = cpuMs(process.cpuUsage(cpu));
  await opened.close();

  start = performance.now();
  opened = await openEngine(engine, dir, false);
  const reopenMs = performance.now() - start;

  // As the matcher asks: one call per ecosystem per 1,000 names. The first pass after opening
  // reads the pages from the file (OS cache permitting); the next ones are the warm case.
  let candidatesFound = 0;
  const batched = async (): Promise<void> => {
    candidatesFound = 0;
    for (const [ecosystem, names] of byEcosystem(packages)) {
      for (let i = 0; i < names.length; i += 1000) {
        for (const list of (await opened.store.candidates(ecosystem, names.slice(i, i + 1000))).values()) candidatesFound += list.length;
      }
    }
  };
  start = performance.now();
  await batched();
  const batchedColdMs = performance.now() - start;
  const warm: number[] = [];
  const warmCpu: number[] = [];
  for (let run = 0; run < 3; run++) {
    cpu = process.cpuUsage();
    start = performance.now();
    await batched();
    warm.push(performance.now() - start);
    warmCpu.push(cpuMs(process.cpuUsage(cpu)));
  }
  const batchedLookupMs = median(warm);
  const batchedWarmCpuMs = median(warmCpu);

  const single: number[] = [];
  for (const p of packages) {
    const t = performance.now();
    await opened.store.candidates(p.ecosystem, [p.name]);
    single.push(performance.now() - t);
  }
  single.sort((a, b) => a - b);
  await opened.close();

  const result: ChildResult = {
    engine,
    importMs,
    importCpuMs,
    batchedWarmCpuMs,
    imported: report.imported,
    reopenMs,
    batchedColdMs,
    batchedLookupMs,
    singleLookupP50Ms: median(single),
    singleLookupP95Ms: single[Math.floor(single.length * 0.95)] ?? 0,
    singleLookupTotalMs: single.reduce((a, b) => a + b, 0),
    candidatesFound,
    diskBytes: diskUsage(dir),
    peakRssBytes: peakRss(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(engine: Engine, count: number, lookups: number): ChildResult {
  const dir = mkdtempSync(path.join(tmpdir(), `bh-bench-vulndb-${engine}-`));
  try {
    const run = spawnSync(process.execPath, ['--expose-gc', __filename, '--child', engine, dir, String(count), String(lookups)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) throw new Error(`${engine} run failed: ${run.stderr}`);
    return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (v: number): string => (v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`);
const mb = (v: number): string => `${(v / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [, , , engine, dir = '', count = '0', lookups = '0'] = process.argv;
    return child(engine as Engine, dir, Number(count), Number(lookups));
  }
  if (!sharedPath()) throw new Error('needs ../shared/vulndata (BULKHEAD_SHARED_DIR) for the advisory shapes');
  const count = Number(process.argv[2] ?? 300_000);
  const lookups = Number(process.argv[3] ?? 10_000);
  console.log(`vulndb-store: ${count.toLocaleString('en')} advisories, ${lookups.toLocaleString('en')} package lookups; baseline PGlite (same store code over Postgres-in-WASM)`);
  const sqlite = runChild('sqlite', count, lookups);
  const pglite = runChild('pglite', count, lookups);
  if (sqlite.candidatesFound !== pglite.candidatesFound || sqlite.imported !== pglite.imported)
    throw new Error(`the engines disagree: sqlite ${sqlite.imported} imported / ${sqlite.candidatesFound} candidates, pglite ${pglite.imported} / ${pglite.candidatesFound}`);
  const rows: [string, number, number, (v: number) => string][] = [
    ['import (one transaction), wall', sqlite.importMs, pglite.importMs, ms],
    ['import (one transaction), CPU', sqlite.importCpuMs, pglite.importCpuMs, ms],
    ['size on disk', sqlite.diskBytes, pglite.diskBytes, mb],
    ['open again', sqlite.reopenMs, pglite.reopenMs, ms],
    [`candidates(): ${lookups} names, batched per ecosystem, first pass`, sqlite.batchedColdMs, pglite.batchedColdMs, ms],
    [`candidates(): ${lookups} names, batched per ecosystem, warm (median of 3), wall`, sqlite.batchedLookupMs, pglite.batchedLookupMs, ms],
    [`candidates(): ${lookups} names, batched per ecosystem, warm (median of 3), CPU`, sqlite.batchedWarmCpuMs, pglite.batchedWarmCpuMs, ms],
    [`candidates(): ${lookups} single-name calls, total`, sqlite.singleLookupTotalMs, pglite.singleLookupTotalMs, ms],
    ['candidates(): one name, p50', sqlite.singleLookupP50Ms, pglite.singleLookupP50Ms, ms],
    ['candidates(): one name, p95', sqlite.singleLookupP95Ms, pglite.singleLookupP95Ms, ms],
    ['peak RSS (whole run)', sqlite.peakRssBytes, pglite.peakRssBytes, mb],
  ];
  printTable(
    ['measurement', 'SQLite (better-sqlite3)', 'PGlite (baseline)', 'ratio SQLite/PGlite'],
    rows.map(([name, a, b, format]) => [name, format(a), format(b), `${(a / b).toFixed(2)}x`]),
  );
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}: wall times stretch with the machine's other work, CPU times do not`);
  console.log(`both engines: ${sqlite.imported} advisories imported, ${sqlite.candidatesFound} candidates returned for the batched lookups`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
