// What the exact finding counters and the status index cost the writers:
// `npm run bench -- findings-write [findings]`.
//
// The same work is done three times in one run on a scratch schema (dropped at the end): once with the
// counter triggers disabled and without the status index (the baseline: the writes as before
// migration FindingCounts1765900000001), with the counters only, and with both. The work is what tasks do: the result writer's upsert of new findings in batches,
// a re-report of all of them (lastSeenAt moves, no counter changes), a resolve of 30%
// (the heap-only status update at task success), and a delete. Each step's median of 3 runs.
import { upsertFindings } from '@bulkhead/persistence';
import { createTestDatabase } from '@bulkhead/persistence/testing';
import type { FindingResult, Severity } from '@bulkhead/plugin-sdk';
import { performance } from 'node:perf_hooks';
import { median, printTable } from './lib/measure';

const COUNT = Number(process.argv[2] ?? 50_000);
const BATCH = 1000;
const SEVERITIES: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
const TRIGGERS = ['finding_count_insert', 'finding_count_update', 'finding_count_delete'];

function findings(round: number): FindingResult[] {
  return Array.from({ length: COUNT }, (_, i) => ({
    kind: 'scanner',
    severity: SEVERITIES[i % SEVERITIES.length] as Severity,
    ruleId: `CVE-${i % 3000}`,
    title: `CVE-${i % 3000} in p${i % 700}`,
    target: `sha256:image-${round}-${i % 100}`,
    location: `pkg:deb/debian/p${i % 700}@1.${i % 13}`,
    fingerprint: `fp-${i}`,
    data: { findingType: 'vulnerability', installedVersion: `1.${i % 13}` },
  }));
}

async function main(): Promise<void> {
  const scratch = await createTestDatabase('bench_findings_write');
  const db = scratch.dataSource;
  try {
    const steps = ['insert (upsert, new)', 're-report (upsert, unchanged keys)', 'resolve 30%', 'delete'] as const;
    const modes = ['off', 'counters', 'on'] as const;
    const empty = () => ({ 'insert (upsert, new)': [], 're-report (upsert, unchanged keys)': [], 'resolve 30%': [], delete: [] }) as Record<(typeof steps)[number], number[]>;
    const timings: Record<(typeof modes)[number], Record<(typeof steps)[number], number[]>> = { off: empty(), counters: empty(), on: empty() };
    let round = 0;
    for (let repeat = 0; repeat < 3; repeat++) {
      for (const mode of modes) {
        for (const trigger of TRIGGERS) await db.query(`ALTER TABLE finding ${mode === 'off' ? 'DISABLE' : 'ENABLE'} TRIGGER ${trigger}`);
        // Before this change there was no status index either (resolving was heap-only).
        if (mode !== 'on') await db.query('DROP INDEX IF EXISTS "IDX_finding_team_status_last_seen_at_id"');
        else await db.query('CREATE INDEX IF NOT EXISTS "IDX_finding_team_status_last_seen_at_id" ON finding (team, status, last_seen_at, id)');
        const rows = findings(round++);
        const time = async (step: (typeof steps)[number], run: () => Promise<unknown>) => {
          const start = performance.now();
          await run();
          timings[mode][step].push(performance.now() - start);
        };
        await time('insert (upsert, new)', async () => {
          for (let i = 0; i < rows.length; i += BATCH) await upsertFindings(db, rows.slice(i, i + BATCH), { onConflict: 'refresh', team: 'bench' });
        });
        await time('re-report (upsert, unchanged keys)', async () => {
          for (let i = 0; i < rows.length; i += BATCH) await upsertFindings(db, rows.slice(i, i + BATCH), { onConflict: 'refresh', team: 'bench' });
        });
        await time('resolve 30%', () => db.query(`UPDATE finding SET status = 'RESOLVED', resolved_at = now() WHERE team = 'bench' AND fingerprint ~ '[137]$'`));
        await time('delete', () => db.query(`DELETE FROM finding WHERE team = 'bench'`));
        await db.query('VACUUM finding');
      }
    }
    // The counters end exact after all of it (every row deleted: nothing counted).
    const [left] = (await db.query(`SELECT COALESCE(sum(n), 0)::int AS n FROM finding_count_delta WHERE team = 'bench'`)) as { n: number }[];
    console.log(`\n${COUNT.toLocaleString('en')} findings per step, batches of ${BATCH}; median of 3; deltas left after deleting everything: ${left?.n ?? '?'} (0 = exact)\n`);
    printTable(
      ['step', 'baseline: no counters, no status index (ms)', 'counters only (ms)', 'ratio', 'counters and status index (ms)', 'ratio'],
      steps.map((step) => {
        const off = median(timings.off[step]);
        const counters = median(timings.counters[step]);
        const on = median(timings.on[step]);
        return [step, off.toFixed(0), counters.toFixed(0), (counters / off).toFixed(2), on.toFixed(0), (on / off).toFixed(2)];
      }),
    );
  } finally {
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
