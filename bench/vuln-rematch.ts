// Re-matching 10,000 stored inventories after an advisory update: `npm run bench -- vuln-rematch [images]`.
//
// A scratch schema (dropped at the end) holds `images` (default 10,000) Debian 12 images, each
// with the packages of ../shared/vulndata/debian-security-tracker/bookworm-minbase-packages.json
// (each package kept in ~94% of the images, so the images share a few hundred distinct package
// sets) plus 10 application packages: ~95 packages per image, as scans store them. The real
// Debian advisories of ../shared/vulndata are imported into the Postgres advisory store and a
// first full match stores the findings (what the scans reported). Then an advisory update (the
// source imported again whole, as a feed update does) withdraws the advisory most images have
// and revises another (its summary), and the images are matched again as the import queues it:
// the scanner's `rematch-vulnerabilities` planning task over the import's change range, then its
// batches of 500 images, two at a time (the worker's default scanner concurrency), each run by
// runTask with the worker's ResultWriter and the task platform's database and inventories and
// succeeding as the worker does it (resolving what it no longer reported). Target: <= 10 s.
// Baseline, same run: the raw SELECT of every package in the same batches. Check: a full
// re-match of every package afterwards (no change range) must change nothing (exit code 1
// otherwise); its time is printed too.
import { createTestDatabase } from '@bulkhead/persistence/testing';
import { DataSourcePluginDatabase, packageNameKeys, ResultWriter, StoreInventories, TaskStore, teamScope } from '@bulkhead/persistence';
import { PluginRegistry, runTask, silentLogger, type TaskPlatform } from '@bulkhead/plugin-sdk';
import { changeRange, REMATCH_BATCH_IMAGES, scannerPlugin, type RematchSummary } from '@bulkhead/plugin-scanner';
import { ADVISORY_STORE_MIGRATIONS, PostgresAdvisoryStore, readOsv, isRejected, type Advisory } from '@bulkhead/vulndb';
import { sharedPath } from '@bulkhead/testing';
import { randomUUID } from 'node:crypto';
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
  // name_keys as the ResultWriter stores them (packageNameKeys), so reads narrow as they would.
  const withKeys = minbase.map((p) => ({ ...p, name_keys: packageNameKeys(p.package, p.source) }));
  await db.query(
    `INSERT INTO package (team, artifact_id, type, name, version, source_name, source_version, purl, layer, path, name_keys)
     SELECT a.team, a.id, 'deb', p.package, p.version, p.source, p.source_version,
            'pkg:deb/debian/' || p.package || '@' || p.version || '?arch=' || p.arch || '&distro=debian-12', 'sha256:base', 'var/lib/dpkg/status',
            ARRAY(SELECT jsonb_array_elements_text(p.name_keys))
       FROM artifact a CROSS JOIN jsonb_to_recordset($2::jsonb) AS p(package text, version text, arch text, source text, source_version text, name_keys jsonb)
      WHERE a.team = $1 AND (hashtext(a.digest || p.package) & 15) <> 0`,
    [TEAM, JSON.stringify(withKeys)],
  );
  await db.query(
    `INSERT INTO package (team, artifact_id, type, name, version, purl, layer, path, name_keys)
     SELECT a.team, a.id, 'deb', 'app-lib-' || k, '1.' || (abs(hashtext(a.digest)) % 5), 'pkg:deb/acme/app-lib-' || k || '@1.' || (abs(hashtext(a.digest)) % 5), 'sha256:app', 'var/lib/dpkg/status',
            ARRAY['app-lib-' || k]
       FROM artifact a CROSS JOIN generate_series(1, 10) AS k WHERE a.team = $1`,
    [TEAM],
  );
  await db.query('VACUUM ANALYZE artifact, package');
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
  /** Findings the writes inserted (new to the database) and reopened. */
  inserted: number;
  reopened: number;
  readMs: number;
  matchMs: number;
  storeMs: number;
  succeedMs: number;
}

type BatchInput = { imageIds: string[]; advisoryChanges?: { after: number; upTo: number } };

function platformOf(db: DataSource, submitted: BatchInput[] = []): TaskPlatform {
  return {
    team: TEAM,
    database: new DataSourcePluginDatabase(db),
    inventories: new StoreInventories(db, TEAM),
    services: {},
    submitTask: (request) => {
      submitted.push(request.input as BatchInput);
      return Promise.resolve({ id: randomUUID() });
    },
    submitTaskInEveryTeam: () => Promise.reject(new Error('a re-match queues nothing in other teams')),
    notify: () => Promise.reject(new Error('a re-match raises no notification')),
  };
}

/** The planning task as the worker runs it (what an import queues): the batches it would queue. */
async function plan(db: DataSource, registry: PluginRegistry, input: Omit<BatchInput, 'imageIds'>): Promise<{ batches: BatchInput[]; summary: RematchSummary }> {
  const tasks = new TaskStore(db, teamScope(TEAM));
  const task = await tasks.create({ kind: 'scanner', type: 'rematch-vulnerabilities', input });
  await tasks.markRunning(task.id);
  const batches: BatchInput[] = [];
  const { output } = await runTask(
    { taskId: task.id, kind: 'scanner', type: 'rematch-vulnerabilities', input },
    { registry, emit: new ResultWriter(db, task.id, silentLogger, { team: TEAM }), platform: platformOf(db, batches) },
  );
  await tasks.succeedResolving(task.id, output);
  return { batches, summary: output as RematchSummary };
}

async function rematchAll(db: DataSource, registry: PluginRegistry, batches: readonly BatchInput[]): Promise<Totals> {
  const tasks = new TaskStore(db, teamScope(TEAM));
  const platform = platformOf(db);
  const totals: Totals = { findings: 0, resolved: 0, inserted: 0, reopened: 0, readMs: 0, matchMs: 0, storeMs: 0, succeedMs: 0 };
  const writerOptions = {
    team: TEAM,
    onNewFindings: async (rows: readonly unknown[]) => {
      totals.inserted += rows.length;
    },
    onReopenedFindings: async (rows: readonly unknown[]) => {
      totals.reopened += rows.length;
    },
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const input = batches[next++] ?? { imageIds: [] };
      const task = await tasks.create({ kind: 'scanner', type: 'rematch-vulnerabilities', input });
      await tasks.markRunning(task.id);
      const { output } = await runTask(
        { taskId: task.id, kind: 'scanner', type: 'rematch-vulnerabilities', input },
        { registry, emit: new ResultWriter(db, task.id, silentLogger, writerOptions), platform },
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
    process.stderr.write(`${IMAGES} images, ${packageRows} packages, ${advisories.length} advisories; first match (what the scans stored)...\n`);
    const first = performance.now();
    const full = await plan(db, registry, {});
    const initial = await rematchAll(db, registry, full.batches);
    const firstSeconds = (performance.now() - first) / 1000;
    await db.query('VACUUM ANALYZE finding');

    // The advisory update: the problem most images have is withdrawn (every record naming it),
    // another record is revised (its summary: the findings' titles change). The same source is
    // imported again whole, as a feed update does (34 of the 36 records unchanged).
    const [top] = (await db.query(`SELECT rule_id FROM finding GROUP BY rule_id ORDER BY count(*) DESC, rule_id LIMIT 2`)) as { rule_id: string }[];
    const names = (a: Advisory) => [a.id, ...(a.aliases ?? [])];
    const withdrawnId = top?.rule_id ?? '';
    const changed = advisories.find((a) => !names(a).includes(withdrawnId));
    const updated = advisories.map((a) =>
      names(a).includes(withdrawnId) ? { ...a, withdrawn: '2099-01-01T00:00:00Z' } : a === changed ? { ...a, modified: '2099-01-01T00:00:00Z', summary: `${a.summary ?? a.id} (revised)` } : a,
    );
    const report = await store.import('osv:debian-tracker', each(updated), undefined, { replaceSource: true });
    const advisoryChanges = changeRange([report]);
    if (!advisoryChanges) throw new Error('the Postgres advisory store reported no change-log number');

    const baselineStart = performance.now();
    let selected = 0;
    for (const batch of full.batches) {
      const rows: unknown[] = await db.query(
        `SELECT id, artifact_id, type, name, version, source_name, source_version, purl, layer, path FROM package WHERE team = $1 AND artifact_id = ANY($2::uuid[])`,
        [TEAM, batch.imageIds],
      );
      selected += rows.length;
    }
    const baselineSeconds = (performance.now() - baselineStart) / 1000;

    // What the import queues: the planning task over the import's changes, then its batches.
    const start = performance.now();
    const planned = await plan(db, registry, { advisoryChanges });
    const planSeconds = (performance.now() - start) / 1000;
    const after = await rematchAll(db, registry, planned.batches);
    const seconds = (performance.now() - start) / 1000;
    const open: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM finding WHERE status = 'OPEN'`);
    const titles: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM finding WHERE status = 'OPEN' AND title LIKE '%(revised)'`);

    // Check: a re-match of every package of every image now finds nothing to change (the
    // changed-packages re-match left the findings exactly as a full one would), and its time.
    const checkStart = performance.now();
    const fullPlan = await plan(db, registry, {});
    const check = await rematchAll(db, registry, fullPlan.batches);
    const checkSeconds = (performance.now() - checkStart) / 1000;
    const converged = check.inserted === 0 && check.reopened === 0 && check.resolved === 0;

    console.log(
      `\n${IMAGES.toLocaleString('en')} images, ${packageRows.toLocaleString('en')} stored packages, ${advisories.length} Debian advisories (../shared); tasks of <= ${REMATCH_BATCH_IMAGES} images, ${CONCURRENCY} at a time; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs`,
    );
    console.log(`first match stored ${initial.findings.toLocaleString('en')} findings in ${firstSeconds.toFixed(2)} s (${full.batches.length} tasks)`);
    const plannedSummary = planned.summary.planned ? planned.summary : undefined;
    console.log(
      `the update changed ${report.changes?.packages ?? '?'} package keys (withdrew ${withdrawnId}, revised ${changed?.id ?? '?'}): planning (${planSeconds.toFixed(2)} s) queued ${planned.batches.length} tasks over ${plannedSummary?.images.toLocaleString('en') ?? '?'} images (mode ${plannedSummary?.mode ?? '?'}); ` +
        `${after.findings.toLocaleString('en')} findings reported, ${after.inserted} new, ${after.reopened} reopened, ${after.resolved.toLocaleString('en')} resolved; ${open[0]?.n.toLocaleString('en')} OPEN, ${titles[0]?.n.toLocaleString('en')} with the revised title`,
    );
    const phases = (t: Totals) => `read ${(t.readMs / 1000).toFixed(1)} s, match ${(t.matchMs / 1000).toFixed(1)} s, store ${(t.storeMs / 1000).toFixed(1)} s, succeed+resolve ${(t.succeedMs / 1000).toFixed(1)} s (summed over tasks)`;
    console.log(`first match: ${phases(initial)}\nre-match:    ${phases(after)}\nfull check:  ${phases(check)}`);
    console.log(`check: a full re-match afterwards changed ${check.inserted} new, ${check.reopened} reopened, ${check.resolved} resolved: ${converged ? 'PASS (same findings as a full re-match)' : 'FAIL'}\n`);
    printTable(
      ['case', 'items', 'seconds', 'ratio (vs baseline)', 'target'],
      [
        ['baseline: SELECT the same packages, same batches', selected.toLocaleString('en'), baselineSeconds.toFixed(2), '1.00', ''],
        ['re-match after the update (plan + tasks, stored, resolved)', IMAGES.toLocaleString('en'), seconds.toFixed(2), (seconds / baselineSeconds).toFixed(2), `<= ${TARGET_S} s: ${seconds <= TARGET_S ? 'PASS' : 'FAIL'}`],
        ['full re-match of every package (no change range; nothing changes)', IMAGES.toLocaleString('en'), checkSeconds.toFixed(2), (checkSeconds / baselineSeconds).toFixed(2), ''],
      ],
    );
    if (!converged) process.exitCode = 1;
  } finally {
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
