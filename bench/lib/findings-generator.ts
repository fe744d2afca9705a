import type { TestDatabase } from '@bulkhead/persistence/testing';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';

/*
 * Loads millions of findings with COPY (bench only): rows come from a seeded generator in the
 * shapes scans store, stream into `psql ... COPY finding FROM STDIN`, and the table is then
 * made ready as after a restore: secondary indexes rebuilt, counters computed, VACUUM ANALYZE.
 */

export interface LoadOptions {
  count: number;
  images: number;
  team: string;
}

export interface LoadReport {
  copySeconds: number;
  indexSeconds: number;
  counterSeconds: number;
  analyzeSeconds: number;
  tableSize: string;
  indexSize: string;
}

/** mulberry32: a small, fast, seeded generator (the same data on every run). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The image id of image `index` and the task that last scanned it. */
export function benchImage(index: number): { target: string; task: string } {
  const hex = createHash('sha256').update(`image-${index}`).digest('hex');
  return { target: `sha256:${hex}`, task: `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}` };
}

const DAY_MS = 86_400_000;
const COLUMNS = 'team, kind, severity, rule_id, title, target, location, data, fingerprint, task_id, first_seen_at, last_seen_at, status, resolved_at, producer, scope';

/** COPY text lines of findings [from, to). */
function* lines(options: LoadOptions, now: number): Generator<string> {
  const next = random(0xb01d);
  const images = Array.from({ length: options.images }, (_, i) => ({ ...benchImage(i), scannedAt: now - next() * 90 * DAY_MS }));
  const crowded = Math.max(1, Math.floor(options.images / 20));
  for (let row = 0; row < options.count; row++) {
    // 80% spread over every image, 20% over the first 5%: a few images hold thousands of findings.
    const u = next();
    const index = u < 0.8 ? Math.floor((u / 0.8) * options.images) : Math.floor(((u - 0.8) / 0.2) * crowded);
    const image = images[index] ?? images[0];
    if (!image) throw new Error('no images');
    const k = next();
    const kind = k < 0.9 ? 'scanner' : k < 0.98 ? 'benchmark' : 'runtime';
    const s = next();
    const severity = s < 0.02 ? 'CRITICAL' : s < 0.15 ? 'HIGH' : s < 0.55 ? 'MEDIUM' : s < 0.9 ? 'LOW' : 'UNKNOWN';
    const t = next();
    const status = t < 0.7 ? 'OPEN' : t < 0.98 ? 'RESOLVED' : 'SUPPRESSED';
    const lastSeen = image.scannedAt - next() * 3_600_000 - (status === 'RESOLVED' ? next() * 30 * DAY_MS : 0);
    const firstSeen = lastSeen - next() * 60 * DAY_MS;
    const resolvedAt = status === 'RESOLVED' ? new Date(lastSeen + 3_600_000).toISOString() : '\\N';
    const rule = `CVE-20${20 + Math.floor(next() * 5)}-${10000 + Math.floor(next() * 30000)}`;
    const pkg = `p${Math.floor(next() * 700)}`;
    const version = `1.${Math.floor(next() * 13)}`;
    const data =
      kind === 'scanner'
        ? `{"findingType": "vulnerability", "installedVersion": "${version}", "fixedVersion": "${version}.1", "status": "fixed", "package": {"name": "${pkg}", "type": "deb"}}`
        : kind === 'benchmark'
          ? `{"check": "CIS-4.${Math.floor(next() * 40)}", "remediation": "set USER in the Dockerfile"}`
          : `{"priority": "Warning", "output_fields": {"proc.name": "sh", "container.id": "c${index}"}}`;
    yield [
      options.team,
      kind,
      severity,
      rule,
      `${rule} in ${pkg}`,
      image.target,
      `pkg:deb/debian/${pkg}@${version}`,
      data,
      `f${row.toString(36)}`,
      image.task,
      new Date(firstSeen).toISOString(),
      new Date(lastSeen).toISOString(),
      status,
      resolvedAt,
      `${kind}/scan-image`,
      image.target,
    ].join('\t');
  }
}

/** Streams the generated rows into COPY through psql (backpressure respected). */
async function copyRows(database: TestDatabase, options: LoadOptions): Promise<void> {
  const psql = spawn('psql', [database.url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `COPY "${database.schema}".finding (${COLUMNS}) FROM STDIN`], { stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = new Promise<number>((resolve, reject) => {
    psql.once('error', reject);
    psql.once('exit', (code) => resolve(code ?? 1));
  });
  const now = Date.now();
  let chunk: string[] = [];
  let written = 0;
  for (const line of lines(options, now)) {
    chunk.push(line);
    if (chunk.length === 10_000) {
      written += chunk.length;
      if (!psql.stdin.write(chunk.join('\n') + '\n')) await new Promise((resolve) => psql.stdin.once('drain', resolve));
      chunk = [];
      if (written % 1_000_000 === 0) process.stderr.write(`copied ${written.toLocaleString('en')} findings\n`);
    }
  }
  if (chunk.length > 0) psql.stdin.write(chunk.join('\n') + '\n');
  psql.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`psql COPY exited with ${code}`);
}

async function seconds(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

/** Loads `count` findings as a restore would, and reports how long each step took. */
export async function loadFindings(db: DataSource, database: TestDatabase, options: LoadOptions): Promise<LoadReport> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SET maintenance_work_mem = '512MB'`);
    const secondary: { name: string; definition: string }[] = await runner.query(
      `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = 'finding'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    );
    for (const index of secondary) await runner.query(`DROP INDEX "${index.name}"`);
    // The counters are computed once after the load (as the migration's backfill does), not per COPY.
    await runner.query('ALTER TABLE finding DISABLE TRIGGER finding_count_insert');
    const copySeconds = await seconds(() => copyRows(database, options));
    await runner.query('ALTER TABLE finding ENABLE TRIGGER finding_count_insert');
    const indexSeconds = await seconds(async () => {
      for (const index of secondary) {
        process.stderr.write(`building ${index.name}\n`);
        await runner.query(index.definition);
      }
    });
    const counterSeconds = await seconds(async () => {
      await runner.query(`INSERT INTO finding_count (team, target, kind, severity, status, n) SELECT team, target, kind, severity, status::text, count(*) FROM finding GROUP BY 1, 2, 3, 4, 5`);
      await runner.query(`INSERT INTO finding_count_team (team, kind, severity, status, n) SELECT team, kind, severity, status, sum(n) FROM finding_count GROUP BY 1, 2, 3, 4`);
    });
    const analyzeSeconds = await seconds(async () => {
      await runner.query('VACUUM ANALYZE finding');
      await runner.query('VACUUM ANALYZE finding_count');
      await runner.query('VACUUM ANALYZE finding_count_team');
    });
    const [sizes] = (await runner.query(`SELECT pg_size_pretty(pg_table_size('finding')) AS table_size, pg_size_pretty(pg_indexes_size('finding')) AS index_size`)) as { table_size: string; index_size: string }[];
    return { copySeconds, indexSeconds, counterSeconds, analyzeSeconds, tableSize: sizes?.table_size ?? '?', indexSize: sizes?.index_size ?? '?' };
  } finally {
    await runner.release();
  }
}
