// Re-matching 10,000 stored inventories after an advisory update: `npm run bench -- vuln-rematch [images]`.
//
// A scratch schema (dropped at the end) holds `images` (default 10,000) Debian 12 images, each
// with the packages of ../shared/vulndata/debian-security-tracker/bookworm-minbase-packages.json
// (each package kept in ~94% of the images, so the images share a few hundred distinct package
// sets) plus 10 application packages: ~95 packages per image, as scans store them. The real
// Debian advisories of ../shared/vulndata are imported into the Postgres advisory store and a
// first full match stores the findings (what the scans reported). Then an advisory update
// withdraws one advisory and revises another (its summary), and every image is matched
// again: the scanner's `rematch-vulnerabilities` task, run by runTask with the worker's
// ResultWriter and the task platform's database and inventories, in batches of 500 images, two
// at a time (the worker's default scanner concurrency), each batch succeeding as the worker
// does it (resolving what it no longer reported). Target: <= 10 s. Baseline, same run: the raw
// SELECT of the same packages in the same batches.
import { createTestDatabase } from '@bulkhead/persistence/testing';
import { DataSourcePluginDatabase, ResultWriter, StoreInventories, TaskStore, teamScope } from '@bulkhead/persistence';
import { PluginRegistry, runTask, silentLogger, type TaskPlatform } from '@bulkhead/plugin-sdk';
import { REMATCH_BATCH_IMAGES, scannerPlugin, type RematchSummary } from '@bulkhead/plugin-scanner';
import { ADVISORY_STORE_MIGRATIONS, PostgresAdvisoryStore, readOsv, isRejected, type Advisory } from '@bulkhead/vulndb';
import { sharedPath } from '@bulkhead/testing';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { printTable } from './lib/measure';

const IMAGES = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = 2;
const TARGET_S = 10;
const TEAM = 'default';

interface MinbasePackage {
  package: string;
  version: string;
  arch: string;
  source: string;
  source_version: string;
}

async function seedInventories(db: DataSource, minbase: readonly MinbasePackage[]): Promise<number> {
  await db.query(
    `INSERT INTO artifact (team, digest, os_family, os_version, os_name, size, layers, metadata)
     SELECT $1, 'sha256:' || md5(i::text) || md5('image' || i), 'debian', '12', 'Debian GNU/Linux 12 (bookworm)', 1, '[]', '{}' FROM generate_series(1, $2::int) AS i`,
    [TEAM, IMAGES],
  );
  await db.query(
    `INSERT INTO package (team, artifact_id, type, name, version, source_name, source_version, purl, layer, path)
     SELECT a.team, a.id, 'deb', p.package, p.version, p.source, p.source_version,
            'pkg:deb/debian/' || p.package || '@' || p.version || '?arch=' || p.arch || '&distro=debian-12', 'sha256:base', 'var/lib/dpkg/status'
       FROM artifact a CROSS JOIN jsonb_to_recordset($2::jsonb) AS p(package text, version text, arch text, source text, source_version text)
      WHERE a.team = $1 AND (hashtext(a.digest || p.package) & 15) <> 0`,
    [TEAM, JSON.stringify(minbase)],
  );
  await db.query(
    `INSERT INTO package (team, artifact_id, type, name, version, purl, layer, path)
     SELECT a.team, a.id, 'deb', 'app-lib-' || k, '1.' || (abs(hashtext(a.digest)) % 5), 'pkg:deb/acme/app-lib-' || k || '@1.' || (abs(hashtext(a.digest)) % 5), 'sha256:app', 'var/lib/dpkg/status'
       FROM artifact a CROSS JOIN generate_series(1, 10) AS k WHERE a.team = $1`,
    [TEAM],
  );
  await db.query('VACUUM ANALYZE package');
  return Number((await db.query(`SELECT count(*)::int AS n FROM package`))[0].n);
}

async function readAdvisories(dir: string): Promise<Advisory[]> {
  const out: Advisory[] = [];
  for await (const item of readOsv(dir, { source: 'osv:debian-tracker' })) if (!isRejected(item)) out.push(item);
  return out;
}

async function* each<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** Every image matched again as the worker does it: one task per batch, CONCURRENCY at a time. */
interface Totals {
  findings: number;
  resolved: number;
  readMs: number;
  matchMs: number;
  storeMs: number;
  succeedMs: number;
}

async function rematchAll(db: DataSource, registry: PluginRegistry, batches: readonly string[][]): Promise<Totals> {
  const tasks = new TaskStore(db, teamScope(TEAM));
  const platform: TaskPlatform = {
    team: TEAM,
    database: new DataSourcePluginDatabase(db),
    inventories: new StoreInventories(db, TEAM),
    submitTask: () => Promise.reject(new Error('a batch queues nothing')),
    submitTaskInEveryTeam: () => Promise.reject(new Error('a batch queues nothing')),
  };
  const totals: Totals = { findings: 0, resolved: 0, readMs: 0, matchMs: 0, storeMs: 0, succeedMs: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const imageIds = batches[next++] ?? [];
      const task = await tasks.create({ kind: 'scanner', type: 'rematch-vulnerabilities', input: { imageIds } });
      await tasks.markRunning(task.id);
      const { output } = await runTask(
        { taskId: task.id, kind: 'scanner', type: 'rematch-vulnerabilities', input: { imageIds } },
        { registry, emit: new ResultWriter(db, task.id, silentLogger, { team: TEAM }), platform },
      );
      const succeeding = performance.now();
      const done = await tasks.succeedResolving(task.id, output);
      totals.succeedMs += performance.now() - succeeding;
      const summary = output as RematchSummary;
      if (summary.planned) continue;
      totals.findings += summary.findings;
      totals.resolved += done?.resolved.length ?? 0;
      totals.readMs += summary.timings.readMs;
      totals.matchMs += summary.timings.matchMs;
      totals.storeMs += summary.timings.storeMs;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return totals;
}

async function main(): Promise<void> {
  const minbaseFile = sharedPath('vulndata', 'debian-security-tracker', 'bookworm-minbase-packages.json');
  const osvDir = sharedPath('vulndata', 'debian-security-tracker', 'osv');
  if (!minbaseFile || !osvDir) throw new Error('vuln-rematch needs ../shared/vulndata (BULKHEAD_SHARED_DIR)');
  const minbase = (JSON.parse(readFileSync(minbaseFile, 'utf8')) as { packages: MinbasePackage[] }).packages;
  const scratch = await createTestDatabase('bench_rematch');
  const db = scratch.dataSource;
  try {
    const pluginDb = new DataSourcePluginDatabase(db);
    for (const step of ADVISORY_STORE_MIGRATIONS) await pluginDb.transaction((q) => step.up(q));
    const store = new PostgresAdvisoryStore(pluginDb);
    const advisories = await readAdvisories(osvDir);
    await store.import('osv:debian-tracker', each(advisories));
    const packageRows = await seedInventories(db, minbase);
    const registry = new PluginRegistry([scannerPlugin]);
    const inventories = new StoreInventories(db, TEAM);
    const batches: string[][] = [];
    for (let after: string | undefined; ; ) {
      const page = await inventories.artifactIds({ ...(after ? { after } : {}), limit: REMATCH_BATCH_IMAGES });
      if (page.length === 0) break;
      batches.push(page);
      after = page.at(-1);
    }
    process.stderr.write(`${IMAGES} images, ${packageRows} packages, ${advisories.length} advisories; first match (what the scans stored)...\n`);
    const first = performance.now();
    const initial = await rematchAll(db, registry, batches);
    const firstSeconds = (performance.now() - first) / 1000;
    await db.query('VACUUM ANALYZE finding');

    // The advisory update: the problem most images have is withdrawn (every record naming it),
    // another record is revised (its summary: the findings' titles change).
    const [top] = (await db.query(`SELECT rule_id FROM finding GROUP BY rule_id ORDER BY count(*) DESC, rule_id LIMIT 2`)) as { rule_id: string }[];
    const names = (a: Advisory) => [a.id, ...(a.aliases ?? [])];
    const withdrawnId = top?.rule_id ?? '';
    const changed = advisories.find((a) => !names(a).includes(withdrawnId));
    const updated = advisories.map((a) =>
      names(a).includes(withdrawnId) ? { ...a, withdrawn: '2099-01-01T00:00:00Z' } : a === changed ? { ...a, modified: '2099-01-01T00:00:00Z', summary: `${a.summary ?? a.id} (revised)` } : a,
    );
    await store.import('osv:debian-tracker', each(updated), undefined, { replaceSource: true });

    const baselineStart = performance.now();
    let selected = 0;
    for (const batch of batches) {
      const rows: unknown[] = await db.query(
        `SELECT id, artifact_id, type, name, version, source_name, source_version, purl, layer, path FROM package WHERE team = $1 AND artifact_id = ANY($2::uuid[])`,
        [TEAM, batch],
      );
      selected += rows.length;
    }
    const baselineSeconds = (performance.now() - baselineStart) / 1000;

    const start = performance.now();
    const after = await rematchAll(db, registry, batches);
    const seconds = (performance.now() - start) / 1000;
    const open: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM finding WHERE status = 'OPEN'`);

    console.log(
      `\n${IMAGES.toLocaleString('en')} images, ${packageRows.toLocaleString('en')} stored packages, ${advisories.length} Debian advisories (../shared); ${batches.length} tasks of <= ${REMATCH_BATCH_IMAGES} images, ${CONCURRENCY} at a time; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs`,
    );
    console.log(`first match stored ${initial.findings.toLocaleString('en')} findings in ${firstSeconds.toFixed(2)} s; after the update: ${after.findings.toLocaleString('en')} reported, ${after.resolved.toLocaleString('en')} resolved (withdrawn ${withdrawnId}), ${open[0]?.n.toLocaleString('en')} OPEN\n`);
    const phases = (t: Totals) => `read ${(t.readMs / 1000).toFixed(1)} s, match ${(t.matchMs / 1000).toFixed(1)} s, store ${(t.storeMs / 1000).toFixed(1)} s, succeed+resolve ${(t.succeedMs / 1000).toFixed(1)} s (summed over tasks)`;
    console.log(`first match: ${phases(initial)}\nre-match:    ${phases(after)}\n`);
    printTable(
      ['case', 'items', 'seconds', 'ratio (vs baseline)', 'target'],
      [
        ['baseline: SELECT the same packages, same batches', selected.toLocaleString('en'), baselineSeconds.toFixed(2), '1.00', ''],
        ['re-match every image after the update (tasks, stored, resolved)', IMAGES.toLocaleString('en'), seconds.toFixed(2), (seconds / baselineSeconds).toFixed(2), `<= ${TARGET_S} s: ${seconds <= TARGET_S ? 'PASS' : 'FAIL'}`],
      ],
    );
  } finally {
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
