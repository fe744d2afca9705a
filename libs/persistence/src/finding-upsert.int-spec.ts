import type { FindingResult } from '@bulkhead/plugin-sdk';
import { FindingEntity, FINDING_UPSERT_BATCH_ROWS, ResultWriter, upsertFindings, type UpsertedFinding } from './index';
import { createTestDatabase, type TestDatabase } from './testing';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('finding_upsert');
});

afterAll(async () => {
  await db?.drop();
});

const TASK_A = '00000000-0000-4000-8000-00000000000a';
const TASK_B = '00000000-0000-4000-8000-00000000000b';

function alert(n: number, extra: Partial<FindingResult> = {}): FindingResult {
  return { kind: 'runtime', severity: 'MEDIUM', ruleId: `rule ${n}`, title: `rule ${n}`, target: 'container:c1', location: 'syscall', data: { n }, fingerprint: `fp-${n}`, ...extra };
}

const rowCount = () => db.dataSource.manager.count(FindingEntity);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('upsertFindings', () => {
  it('reports which findings it inserted, in input order, and adds no row for a repeat', async () => {
    const first = await upsertFindings(db.dataSource, [alert(2), alert(1)], { onConflict: 'touch' });
    expect(first.map((f) => [f.ruleId, f.inserted])).toEqual([
      ['rule 2', true],
      ['rule 1', true],
    ]);
    expect(first[0]).toMatchObject({ kind: 'runtime', target: 'container:c1', location: 'syscall', data: { n: 2 }, fingerprint: 'fp-2', taskId: null });
    expect(first[0]?.firstSeenAt).toBeInstanceOf(Date);

    await sleep(10);
    const again = await upsertFindings(db.dataSource, [alert(3), alert(1), alert(2)], { onConflict: 'touch' });
    expect(again.map((f) => [f.ruleId, f.inserted])).toEqual([
      ['rule 3', true],
      ['rule 1', false],
      ['rule 2', false],
    ]);
    const old = again[1] as UpsertedFinding;
    expect(old.id).toBe(first[1]?.id);
    expect(old.firstSeenAt).toEqual(first[1]?.firstSeenAt);
    expect(old.lastSeenAt.getTime()).toBeGreaterThan(old.firstSeenAt.getTime());
    expect(await rowCount()).toBe(3);
  });

  it('touch: a re-reported finding keeps its stored content; the first of duplicates in a call wins', async () => {
    const [dup] = await upsertFindings(db.dataSource, [alert(10, { data: { v: 'first' } }), alert(10, { data: { v: 'second' } })], { onConflict: 'touch' });
    expect(dup).toMatchObject({ inserted: true, data: { v: 'first' } });
    const [repeat] = await upsertFindings(db.dataSource, [alert(10, { severity: 'CRITICAL', data: { v: 'later' } })], { onConflict: 'touch', taskId: TASK_A });
    expect(repeat).toMatchObject({ inserted: false, severity: 'MEDIUM', data: { v: 'first' }, taskId: null });
  });

  it('refresh: a re-reported finding takes the new content and task; the last of duplicates in a call wins', async () => {
    const scan = (severity: FindingResult['severity'], title: string): FindingResult => ({ kind: 'scanner', severity, ruleId: 'CVE-1', title, target: 'sha256:x', location: 'bash' });
    const [created] = await upsertFindings(db.dataSource, [scan('LOW', 'one'), scan('HIGH', 'two')], { onConflict: 'refresh', taskId: TASK_A });
    // No fingerprint given: the SDK's derived one (kind, rule, target, location) identifies it.
    expect(created).toMatchObject({ inserted: true, severity: 'HIGH', title: 'two', taskId: TASK_A });
    expect(created?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const [updated] = await upsertFindings(db.dataSource, [scan('CRITICAL', 'three')], { onConflict: 'refresh', taskId: TASK_B });
    expect(updated).toMatchObject({ id: created?.id, inserted: false, severity: 'CRITICAL', title: 'three', taskId: TASK_B, firstSeenAt: created?.firstSeenAt });
  });

  it('splits large writes into batches and still reports every row once', async () => {
    const many = Array.from({ length: FINDING_UPSERT_BATCH_ROWS * 2 + 7 }, (_, i) => alert(1000 + i, { target: 'container:bulk' }));
    const before = await rowCount();
    const first = await upsertFindings(db.dataSource, many, { onConflict: 'touch' });
    expect(first).toHaveLength(many.length);
    expect(first.every((f) => f.inserted)).toBe(true);
    expect(first.map((f) => f.fingerprint)).toEqual(many.map((f) => f.fingerprint));
    const mixed = await upsertFindings(db.dataSource, [...many.slice(0, 600), alert(5000, { target: 'container:bulk' })], { onConflict: 'touch' });
    expect(mixed.filter((f) => f.inserted).map((f) => f.fingerprint)).toEqual(['fp-5000']);
    expect(await rowCount()).toBe(before + many.length + 1);
  });

  it('writes nothing for an empty list', async () => {
    expect(await upsertFindings(db.dataSource, [], { onConflict: 'refresh' })).toEqual([]);
  });
});

describe('ResultWriter.findings', () => {
  it('hands only the newly inserted findings to onNewFindings', async () => {
    const announced: string[][] = [];
    const writer = new ResultWriter(db.dataSource, TASK_A, undefined, { onNewFindings: async (fresh) => void announced.push(fresh.map((f) => f.ruleId)) });
    await writer.findings([alert(20), alert(21)]);
    await writer.findings([alert(21), alert(22)]);
    await writer.findings([alert(20)]);
    expect(announced).toEqual([['rule 20', 'rule 21'], ['rule 22']]);
  });
});
