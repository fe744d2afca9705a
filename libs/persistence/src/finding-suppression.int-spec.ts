import type { FindingResult } from '@bulkhead/plugin-sdk';
import { AuditLogStore } from './audit-log-store';
import { FindingCounts } from './finding-counts';
import { FindingStore } from './finding-store';
import { MAX_SUPPRESSION_REASON, SuppressionExpirySweeper, SuppressionInputError, suppressionOf, sweepExpiredSuppressions } from './finding-suppression';
import { upsertFindings } from './finding-upsert';
import { teamScope } from './team';
import { createTestDatabase, type TestDatabase } from './testing';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('finding_suppression');
});

afterAll(async () => {
  await db?.drop();
});

function vuln(target: string, n: number): FindingResult {
  return {
    kind: 'scanner',
    severity: 'HIGH',
    ruleId: `CVE-2099-${n}`,
    title: `CVE-2099-${n}`,
    target,
    location: `pkg:deb/debian/p${n}@1.0`,
    fingerprint: `fp-${n}`,
    data: { findingType: 'vulnerability', aliases: [], package: { type: 'deb', name: `p${n}`, version: '1.0', purl: `pkg:deb/debian/p${n}@1.0` } },
  };
}

async function idOf(team: string, fingerprint: string): Promise<string> {
  const [row] = (await db.dataSource.query(`SELECT id FROM finding WHERE team = $1 AND fingerprint = $2`, [team, fingerprint])) as { id: string }[];
  if (!row) throw new Error(`no finding ${fingerprint} in ${team}`);
  return row.id;
}

/** The counters equal count(*) per status (the truth). */
async function expectCountsExact(team: string): Promise<Record<string, number>> {
  const truth = (await db.dataSource.query(`SELECT status::text AS status, count(*)::int AS n FROM finding WHERE team = $1 GROUP BY 1 ORDER BY 1`, [team])) as { status: string; n: number }[];
  const counted = await new FindingCounts(db.dataSource).groups(team, {}, ['status'], { limit: 10 });
  expect(counted).toEqual(truth.map((row) => ({ keys: [row.status], count: row.n })));
  return Object.fromEntries(truth.map((row) => [row.status, row.n]));
}

describe('suppression with a reason and an expiry', () => {
  it('records reason, justification, expiry, who and when; a rerun keeps it; reopening clears it', async () => {
    const team = 'keep';
    await upsertFindings(db.dataSource, [vuln('sha256:a', 1), vuln('sha256:a', 2)], { onConflict: 'refresh', team });
    const store = new FindingStore(db.dataSource, teamScope(team));
    const id = await idOf(team, 'fp-1');
    const expiresAt = new Date(Date.now() + 30 * 86_400_000);
    const suppressed = await store.suppress(id, { reason: '  only reachable from the admin CLI  ', justification: 'vulnerable_code_not_in_execute_path', expiresAt, suppressedBy: 'alice-ci' });
    expect(suppressed?.status).toBe('SUPPRESSED');
    const suppression = suppressed ? suppressionOf(suppressed) : null;
    expect(suppression).toMatchObject({ reason: 'only reachable from the admin CLI', justification: 'vulnerable_code_not_in_execute_path', expiresAt, suppressedBy: 'alice-ci' });
    expect(Math.abs((suppression?.suppressedAt?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(await expectCountsExact(team)).toEqual({ OPEN: 1, SUPPRESSED: 1 });

    // A rerun reporting it again keeps it suppressed, with its suppression.
    await upsertFindings(db.dataSource, [vuln('sha256:a', 1), vuln('sha256:a', 2)], { onConflict: 'refresh', team });
    const after = await store.get(id);
    expect(after && suppressionOf(after)).toEqual(suppression);

    const reopened = await store.unsuppress(id);
    expect(reopened?.status).toBe('OPEN');
    expect(reopened && suppressionOf(reopened)).toBeNull();
    expect([reopened?.suppressionReason, reopened?.suppressionJustification, reopened?.suppressedUntil, reopened?.suppressedBy, reopened?.suppressedAt]).toEqual([null, null, null, null, null]);
    expect(await expectCountsExact(team)).toEqual({ OPEN: 2 });
    // The old call shape (no reason) still suppresses.
    expect((await store.suppress(id))?.status).toBe('SUPPRESSED');
  });

  it('refuses bad input by field, and stores nothing', async () => {
    const team = 'bad';
    await upsertFindings(db.dataSource, [vuln('sha256:b', 1)], { onConflict: 'refresh', team });
    const store = new FindingStore(db.dataSource, teamScope(team));
    const id = await idOf(team, 'fp-1');
    const refused = async (input: Parameters<FindingStore['suppress']>[1]) => {
      const error = await store.suppress(id, input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SuppressionInputError);
      return (error as SuppressionInputError).message;
    };
    expect(await refused({ reason: 'x'.repeat(MAX_SUPPRESSION_REASON + 1) })).toBe('reason: 1001 characters, at most 1000');
    expect(await refused({ reason: 'a\0b' })).toBe('reason: contains a NUL character');
    expect(await refused({ justification: 'because' })).toMatch(/^justification: "because" is not an OpenVEX justification \(component_not_present, /);
    expect(await refused({ expiresAt: new Date(Date.now() - 1000) })).toMatch(/^expiresAt: .* is not in the future$/);
    expect(await refused({ expiresAt: new Date(Date.now() + 400 * 86_400_000) })).toMatch(/^expiresAt: .* is more than 365 days ahead/);
    expect(await refused({ expiresAt: new Date('nonsense') })).toBe('expiresAt: not a date');
    expect((await store.get(id))?.status).toBe('OPEN');
    // The database refuses an over-long reason too, whoever writes it.
    await expect(db.dataSource.query(`UPDATE finding SET suppression_reason = repeat('x', 1001) WHERE id = $1`, [id])).rejects.toThrow(/CHK_finding_suppression_reason_length/);
  });

  it("another team's finding cannot be suppressed, reopened or read", async () => {
    await upsertFindings(db.dataSource, [vuln('sha256:c', 1)], { onConflict: 'refresh', team: 'red' });
    const id = await idOf('red', 'fp-1');
    const red = new FindingStore(db.dataSource, teamScope('red'));
    const blue = new FindingStore(db.dataSource, teamScope('blue'));
    expect(await blue.suppress(id, { reason: 'not mine' })).toBeNull();
    expect((await red.get(id))?.status).toBe('OPEN');
    await red.suppress(id, { reason: 'mine' });
    expect(await blue.unsuppress(id)).toBeNull();
    expect((await blue.suppressions([id])).size).toBe(0);
    expect(await blue.suppressedVulnerabilities('sha256:c', 10)).toEqual([]);
    expect((await red.suppressions([id])).get(id)?.suppressionReason).toBe('mine');
    expect((await red.suppressedVulnerabilities('sha256:c', 10)).map((f) => f.id)).toEqual([id]);
    expect((await red.get(id))?.status).toBe('SUPPRESSED');
  });

  it('an expired suppression makes the finding OPEN again, counters exact, with an audit entry; unexpired ones stay', async () => {
    const team = 'expiry';
    await upsertFindings(db.dataSource, [vuln('sha256:d', 1), vuln('sha256:d', 2), vuln('sha256:d', 3)], { onConflict: 'refresh', team });
    const store = new FindingStore(db.dataSource, teamScope(team));
    const [soon, later, forever] = await Promise.all(['fp-1', 'fp-2', 'fp-3'].map((fp) => idOf(team, fp)));
    await store.suppress(soon ?? '', { reason: 'short', expiresAt: new Date(Date.now() + 1200) });
    await store.suppress(later ?? '', { reason: 'long', expiresAt: new Date(Date.now() + 86_400_000) });
    await store.suppress(forever ?? '', { reason: 'no expiry' });
    expect(await expectCountsExact(team)).toEqual({ SUPPRESSED: 3 });
    // Not yet expired: nothing moves.
    expect((await sweepExpiredSuppressions(db.dataSource)).filter((row) => row.team === team)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sweeper = new SuppressionExpirySweeper(db.dataSource, (error) => {
      throw error;
    });
    const expired = (await sweeper.sweep()).filter((row) => row.team === team);
    expect(expired).toEqual([{ id: soon, team, ruleId: 'CVE-2099-1', target: 'sha256:d' }]);
    const reopened = await store.get(soon ?? '');
    expect([reopened?.status, reopened?.suppressionReason, reopened?.suppressedUntil]).toEqual(['OPEN', null, null]);
    expect((await store.get(later ?? ''))?.status).toBe('SUPPRESSED');
    expect((await store.get(forever ?? ''))?.status).toBe('SUPPRESSED');
    expect(await expectCountsExact(team)).toEqual({ OPEN: 1, SUPPRESSED: 2 });
    // A second sweep finds nothing more.
    expect((await sweeper.sweep()).filter((row) => row.team === team)).toEqual([]);
    const audit = await new AuditLogStore(db.dataSource).page(team);
    expect(audit.edges.map((e) => [e.node.operation, e.node.tokenName, e.node.details])).toEqual([
      ['suppression expired', null, { count: 1, findings: [{ id: soon, ruleId: 'CVE-2099-1', target: 'sha256:d' }] }],
    ]);
  });
});
