import type { FindingResult, Severity } from '@bulkhead/plugin-sdk';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';
import { FindingCounts, foldFindingCounts, type CountedFindingKey } from './finding-counts';
import { FindingStore } from './finding-store';
import { upsertFindings } from './finding-upsert';
import { migrations } from './migrations';
import { teamScope } from './team';
import { createTestDatabase, type TestDatabase } from './testing';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('finding_counts');
});

afterAll(async () => {
  await db?.drop();
});

const SEVERITIES: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
const KEYS: CountedFindingKey[][] = [['severity'], ['kind'], ['status'], ['target'], ['target', 'severity', 'status']];

function vuln(target: string, n: number, severity: Severity = 'HIGH', prefix = 'fp'): FindingResult {
  return { kind: 'scanner', severity, ruleId: `CVE-${n}`, title: `CVE-${n}`, target, location: `pkg-${n}`, fingerprint: `${prefix}-${n}` };
}

/** What count(*) over the findings says, grouped like the counters (the truth they must equal). */
async function scanned(q: { query: DataSource['query'] }, team: string, groupBy: readonly CountedFindingKey[]): Promise<{ keys: string[]; count: number }[]> {
  const keys = groupBy.map((k) => (k === 'status' ? 'status::text' : k)).join(', ');
  const rows: Record<string, string>[] = await q.query(`SELECT ${keys}, count(*)::int AS n FROM finding WHERE team = $1 GROUP BY ${keys} ORDER BY ${keys}`, [team]);
  return rows.map((row) => ({ keys: groupBy.map((k) => String(row[k])), count: Number(row['n']) }));
}

async function expectExact(team: string): Promise<void> {
  const counts = new FindingCounts(db.dataSource);
  for (const groupBy of KEYS) {
    expect({ groupBy, groups: await counts.groups(team, {}, groupBy, { limit: 10_000 }) }).toEqual({ groupBy, groups: await scanned(db.dataSource, team, groupBy) });
  }
  const [all] = await db.dataSource.query('SELECT count(*)::int AS n FROM finding WHERE team = $1', [team]);
  expect(await counts.total(team, {})).toBe(all.n);
}

describe('finding counters', () => {
  it('follow inserts, re-reports, severity changes, suppressions, resolves and deletes, before and after folding', async () => {
    const team = 'single';
    await upsertFindings(db.dataSource, [vuln('sha256:a', 1, 'LOW'), vuln('sha256:a', 2), vuln('sha256:b', 3, 'CRITICAL')], { onConflict: 'refresh', team });
    await expectExact(team);
    // A re-report with another severity moves one finding between groups.
    await upsertFindings(db.dataSource, [vuln('sha256:a', 1, 'CRITICAL')], { onConflict: 'refresh', team });
    const store = new FindingStore(db.dataSource, teamScope(team));
    const [row] = await db.dataSource.query(`SELECT id FROM finding WHERE team = $1 AND fingerprint = 'fp-2'`, [team]);
    await store.suppress(row.id);
    await db.dataSource.query(`UPDATE finding SET status = 'RESOLVED', resolved_at = now() WHERE team = $1 AND fingerprint = 'fp-3'`, [team]);
    await expectExact(team);
    expect(await foldFindingCounts(db.dataSource)).toBeGreaterThan(0);
    expect((await db.dataSource.query('SELECT count(*)::int AS n FROM finding_count_delta'))[0].n).toBe(0);
    await expectExact(team);
    await store.unsuppress(row.id);
    await db.dataSource.query(`DELETE FROM finding WHERE team = $1 AND target = 'sha256:b'`, [team]);
    await expectExact(team);
    await foldFindingCounts(db.dataSource);
    await expectExact(team);
    // Counters that fell to zero are gone, not kept as zero rows.
    expect(await db.dataSource.query(`SELECT target FROM finding_count WHERE team = $1 AND target = 'sha256:b'`, [team])).toEqual([]);
    expect(await db.dataSource.query(`SELECT 1 FROM finding_count_team WHERE n <= 0`)).toEqual([]);
  });

  it('answer filters and pages of groups in key order, within the team only', async () => {
    await upsertFindings(db.dataSource, [vuln('sha256:p1', 1, 'LOW'), vuln('sha256:p2', 2, 'LOW'), vuln('sha256:p3', 3, 'HIGH')], { onConflict: 'refresh', team: 'paging' });
    await upsertFindings(db.dataSource, [vuln('sha256:p1', 1, 'LOW')], { onConflict: 'refresh', team: 'other' });
    const counts = new FindingCounts(db.dataSource);
    expect(await counts.total('paging', { severities: ['LOW'] })).toBe(2);
    expect(await counts.total('paging', { targets: ['sha256:p1', 'sha256:p3'] })).toBe(2);
    expect(await counts.total('paging', { severities: [] })).toBe(0);
    expect(await counts.total('paging', { kinds: ['runtime'] })).toBe(0);
    const first = await counts.groups('paging', {}, ['target'], { limit: 2 });
    expect(first).toEqual([
      { keys: ['sha256:p1'], count: 1 },
      { keys: ['sha256:p2'], count: 1 },
    ]);
    expect(await counts.groups('paging', {}, ['target'], { limit: 2, after: ['sha256:p2'] })).toEqual([{ keys: ['sha256:p3'], count: 1 }]);
    expect(await counts.groupCount('paging', { severities: ['LOW'] }, ['target'])).toBe(2);
    expect(await counts.groupCount('nobody', {}, ['severity'])).toBe(0);
    await expect(counts.groups('paging', {}, ['ruleId' as CountedFindingKey], { limit: 1 })).rejects.toThrow(/cannot be grouped by "ruleId"/);
  });

  it('page targets exactly when unfolded deltas empty some and add others', async () => {
    const team = 'targets';
    const image = (n: number) => `sha256:t${String(n).padStart(2, '0')}`;
    await upsertFindings(db.dataSource, Array.from({ length: 12 }, (_, n) => vuln(image(n), n)), { onConflict: 'refresh', team });
    await foldFindingCounts(db.dataSource);
    // Unfolded: the first three images lose their findings, a new first image appears, another grows.
    await db.dataSource.query(`DELETE FROM finding WHERE team = $1 AND target = ANY($2::text[])`, [team, [image(0), image(1), image(2)]]);
    await upsertFindings(db.dataSource, [vuln('sha256:a-new', 100), vuln(image(5), 101)], { onConflict: 'refresh', team });
    const counts = new FindingCounts(db.dataSource);
    const truth = await scanned(db.dataSource, team, ['target']);
    for (const size of [1, 2, 3, 5]) {
      const pages: { keys: string[]; count: number }[] = [];
      let after: string[] | undefined;
      for (;;) {
        const rows = await counts.groups(team, {}, ['target'], { limit: size + 1, ...(after ? { after } : {}) });
        pages.push(...rows.slice(0, size));
        if (rows.length <= size) break;
        after = rows[size - 1]?.keys;
      }
      expect({ size, pages }).toEqual({ size, pages: truth });
    }
  });

  it('stay exact under concurrent writers of the same image and team, with folds running, and never deadlock', async () => {
    const team = 'busy';
    const target = 'sha256:shared';
    // Two "workers" with their own connection pools, and an API suppressing and reopening.
    const workers = await Promise.all([0, 1].map(async () => new DataSource(dataSourceOptions({ url: db.url, schema: db.schema, poolSize: 3 })).initialize()));
    const snapshotsChecked: number[] = [];
    try {
      const work = workers.map(async (worker, w) => {
        for (let round = 0; round < 25; round++) {
          const batch = Array.from({ length: 40 }, (_, i) => vuln(target, (round * 7 + i) % 120, SEVERITIES[(round + i + w) % SEVERITIES.length], `w${w}`));
          // The result writer's upsert, then a task's end in one transaction: more findings and the resolve of what it did not report.
          await upsertFindings(worker, batch.slice(0, 20), { onConflict: 'refresh', team });
          await worker.transaction(async (manager) => {
            await manager.query(
              `INSERT INTO finding (team, kind, severity, rule_id, title, target, fingerprint, status)
               SELECT $1, 'scanner', s, 'R', 'R', $2, f, 'OPEN' FROM unnest($3::text[], $4::text[]) AS u(f, s)
               ON CONFLICT (team, target, fingerprint) DO UPDATE SET severity = EXCLUDED.severity, last_seen_at = now(),
                 status = CASE WHEN finding.status = 'RESOLVED' THEN 'OPEN'::finding_status ELSE finding.status END`,
              [team, target, batch.slice(20).map((f) => f.fingerprint), batch.slice(20).map((f) => f.severity)],
            );
            await manager.query(
              `UPDATE finding SET status = 'RESOLVED', resolved_at = now() WHERE team = $1 AND target = $2 AND status = 'OPEN' AND fingerprint LIKE $3 AND fingerprint <> ALL($4::text[])`,
              [team, target, `w${w}-%`, batch.map((f) => f.fingerprint)],
            );
          });
          if (round % 5 === 4) await worker.query(`DELETE FROM finding WHERE team = $1 AND fingerprint = $2`, [team, batch[0]?.fingerprint]);
        }
      });
      const api = (async () => {
        const store = new FindingStore(db.dataSource, teamScope(team));
        for (let i = 0; i < 30; i++) {
          const rows: { id: string }[] = await db.dataSource.query(`SELECT id FROM finding WHERE team = $1 ORDER BY random() LIMIT 2`, [team]);
          if (rows[0]) await store.suppress(rows[0].id);
          if (rows[1]) await store.unsuppress(rows[1].id);
          await foldFindingCounts(db.dataSource);
          // In one snapshot the counters and a count(*) agree, folded or not.
          await db.dataSource.transaction('REPEATABLE READ', async (manager) => {
            const counts = new FindingCounts(db.dataSource, manager);
            expect(await counts.groups(team, {}, ['severity', 'status'], { limit: 100 })).toEqual(await scanned(manager, team, ['severity', 'status']));
            snapshotsChecked.push(i);
          });
        }
      })();
      const folds = workers.map(async (worker) => {
        for (let i = 0; i < 20; i++) await foldFindingCounts(worker);
      });
      await Promise.all([...work, api, ...folds]);
    } finally {
      await Promise.all(workers.map((worker) => worker.destroy()));
    }
    expect(snapshotsChecked).toHaveLength(30);
    await expectExact(team);
    await foldFindingCounts(db.dataSource);
    await expectExact(team);
    expect((await new FindingCounts(db.dataSource).groups(team, {}, ['status'], { limit: 10 })).map((g) => g.keys[0])).toEqual(['OPEN', 'RESOLVED', 'SUPPRESSED']);
  });

  it('are backfilled from the findings stored before the migration', async () => {
    const index = migrations.findIndex((m) => m.name === 'FindingCounts1765900000001');
    const schema = `${db.schema}_backfill`;
    const before = new DataSource({ ...dataSourceOptions({ url: db.url, schema, poolSize: 2 }), migrations: migrations.slice(0, index) });
    await before.initialize();
    try {
      await before.query(`CREATE SCHEMA "${schema}"`);
      await before.runMigrations({ transaction: 'each' });
      await upsertFindings(before, [vuln('sha256:old', 1, 'LOW'), vuln('sha256:old', 2, 'LOW'), vuln('sha256:older', 3)], { onConflict: 'refresh', team: 'legacy' });
      await before.query(`UPDATE finding SET status = 'SUPPRESSED' WHERE fingerprint = 'fp-2'`);
      const after = new DataSource({ ...dataSourceOptions({ url: db.url, schema, poolSize: 2 }) });
      await after.initialize();
      try {
        expect((await after.runMigrations({ transaction: 'each' })).map((m) => m.name)).toContain('FindingCounts1765900000001');
        const counts = new FindingCounts(after);
        expect(await counts.groups('legacy', {}, ['target', 'severity', 'status'], { limit: 10 })).toEqual([
          { keys: ['sha256:old', 'LOW', 'OPEN'], count: 1 },
          { keys: ['sha256:old', 'LOW', 'SUPPRESSED'], count: 1 },
          { keys: ['sha256:older', 'HIGH', 'OPEN'], count: 1 },
        ]);
        expect(await counts.groups('legacy', {}, ['severity'], { limit: 10 })).toEqual([
          { keys: ['HIGH'], count: 1 },
          { keys: ['LOW'], count: 2 },
        ]);
        expect((await after.query('SELECT count(*)::int AS n FROM finding_count_delta'))[0].n).toBe(0);
      } finally {
        await after.destroy();
      }
    } finally {
      await before.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await before.destroy();
    }
  });
});
