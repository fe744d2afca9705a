// What the overview's trend costs: `npm run bench -- finding-trend [teams]`.
//
// On a scratch schema (dropped at the end), a full retention of daily rows: `teams` teams
// (default 200) × 4 kinds × 6 severities × 400 days, every key changing every day (the worst
// case: a quiet key writes no row). The trend read of one team (30 and 366 days) is timed
// against the same-run baseline of the overview's other read of the same team, its open
// findings by severity from the exact counters. Neither reads `finding`, so the number of
// findings does not enter; the fold's extra cost is timed as one fold of 10,000 changed
// findings with and without the daily rows filled. Medians of 15 runs.
import { FindingCounts, FindingTrend, foldFindingCounts, upsertFindings } from '@bulkhead/persistence';
import { createTestDatabase } from '@bulkhead/persistence/testing';
import type { FindingResult, Severity } from '@bulkhead/plugin-sdk';
import { median, printTable, timeAsync } from './lib/measure';

const TEAMS = Number(process.argv[2] ?? 200);
const DAYS = 400;
const RUNS = 15;
const SEVERITIES: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'UNKNOWN'];

function findings(round: number, count: number): FindingResult[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'scanner',
    severity: SEVERITIES[(i + round) % SEVERITIES.length] as Severity,
    ruleId: `CVE-${i}`,
    title: `CVE-${i}`,
    target: `sha256:image-${i % 100}`,
    fingerprint: `fp-${round}-${i}`,
  }));
}

async function main(): Promise<void> {
  const scratch = await createTestDatabase('bench_finding_trend');
  const db = scratch.dataSource;
  try {
    const team = 'team-0';
    await upsertFindings(db, findings(0, 5000), { onConflict: 'refresh', team });
    await foldFindingCounts(db);
    const foldEmpty: number[] = [];
    for (let round = 1; round <= 3; round++) {
      await upsertFindings(db, findings(round, 10_000), { onConflict: 'refresh', team });
      foldEmpty.push(await timeAsync(async () => void (await foldFindingCounts(db))));
    }
    const started = performance.now();
    await db.query(`UPDATE finding_open_daily_since SET day = current_date - ${DAYS - 1}`);
    await db.query(
      `INSERT INTO finding_open_daily (team, kind, severity, day, open)
       SELECT 'team-' || t, k, s, current_date - d, (t * 7 + d * 3) % 1000
         FROM generate_series(0, $1::int - 1) AS t, unnest(ARRAY['scanner', 'benchmark', 'runtime', 'signer']) AS k,
              unnest($2::text[]) AS s, generate_series(0, $3::int - 1) AS d
       ON CONFLICT DO NOTHING`,
      [TEAMS, SEVERITIES, DAYS],
    );
    await db.query('ANALYZE finding_open_daily');
    const [{ n }] = (await db.query('SELECT count(*)::int AS n FROM finding_open_daily')) as { n: number }[];
    console.log(`${n.toLocaleString('en')} daily rows (${TEAMS} teams × 24 keys × ${DAYS} days) loaded in ${Math.round(performance.now() - started)} ms`);
    const foldFull: number[] = [];
    for (let round = 4; round <= 6; round++) {
      await upsertFindings(db, findings(round, 10_000), { onConflict: 'refresh', team });
      foldFull.push(await timeAsync(async () => void (await foldFindingCounts(db))));
    }

    const trend = new FindingTrend(db);
    const counts = new FindingCounts(db);
    const measure = async (run: () => Promise<unknown>) => {
      await run();
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push(await timeAsync(async () => void (await run())));
      return median(times);
    };
    const baseline = await measure(() => counts.groups(team, { statuses: ['OPEN'] }, ['severity'], { limit: 50 }));
    const rows: string[][] = [];
    for (const days of [30, 366]) {
      const ms = await measure(() => trend.read(team, { days, severities: SEVERITIES }));
      rows.push([`findingTrend(days: ${days}), 6 severities`, baseline.toFixed(2), ms.toFixed(2), (ms / baseline).toFixed(1)]);
    }
    const kindMs = await measure(() => trend.read(team, { days: 30, kinds: ['scanner'], severities: ['CRITICAL', 'HIGH'] }));
    rows.push(['findingTrend(days: 30), 1 kind, 2 severities', baseline.toFixed(2), kindMs.toFixed(2), (kindMs / baseline).toFixed(1)]);
    rows.push(['fold of 10,000 new findings (empty → full daily table)', median(foldEmpty).toFixed(2), median(foldFull).toFixed(2), (median(foldFull) / median(foldEmpty)).toFixed(1)]);
    printTable(['case', 'baseline ms (counters by severity; fold)', 'measured ms', 'ratio'], rows);
  } finally {
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
