import type { FindingReport, FindingResult } from '@bulkhead/plugin-sdk';
import { createRequire } from 'node:module';
import { ALL_TEAMS, ResultWriter, TaskStatus, TaskStore, teamScope } from './index';
import { createTestDatabase, type TestDatabase } from './testing';

/*
 * What a task costs in Postgres (issue 15): live deduplication through the unique index under
 * concurrency, claims that are heap-only updates (no index holds or filters on status; pages
 * filled to 80%), and transitions that answer from their own UPDATE … RETURNING.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('task_cost');
});

afterAll(async () => {
  await db?.drop();
});

const newTask = (text: string, dedupKey: string | null = null) => ({ kind: 'runtime' as const, type: 'echo', input: { text }, dedupKey });

describe('task rows', () => {
  it('keeps status out of every index and leaves room on its pages', async () => {
    const indexes = await db.dataSource.query<{ indexdef: string }[]>(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'task'`, [db.schema]);
    expect(indexes.length).toBeGreaterThan(3);
    expect(indexes.filter((i) => /status/.test(i.indexdef))).toEqual([]);
    const [table] = await db.dataSource.query<{ reloptions: string[] | null }[]>(
      `SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'task'`,
      [db.schema],
    );
    expect(table?.reloptions).toContain('fillfactor=80');
  });

  it('indexes parents and artifacts only for the tasks that have them, and finds them through those indexes', async () => {
    const indexes = await db.dataSource.query<{ indexname: string; indexdef: string }[]>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname IN ('IDX_task_parent_task_id', 'IDX_task_artifact_created_at_id') ORDER BY 1`,
      [db.schema],
    );
    expect(indexes.map((i) => i.indexdef.replace(/^.* WHERE /, ''))).toEqual(['(artifact_id IS NOT NULL)', '(parent_task_id IS NOT NULL)']);
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.query('SET enable_seqscan = off');
      // As a prepared statement's generic plan would: the key is a parameter, whose equality implies NOT NULL.
      await runner.query(`PREPARE children(uuid) AS SELECT id FROM task WHERE parent_task_id = $1`);
      await runner.query(`PREPARE image_tasks(uuid) AS SELECT id FROM task WHERE artifact_id = $1 ORDER BY created_at DESC, id DESC LIMIT 5`);
      await runner.query(`SET plan_cache_mode = force_generic_plan`);
      const plan = async (statement: string) => JSON.stringify(await runner.query(`EXPLAIN EXECUTE ${statement}('00000000-0000-4000-8000-000000000000')`));
      expect(await plan('children')).toContain('IDX_task_parent_task_id');
      expect(await plan('image_tasks')).toContain('IDX_task_artifact_created_at_id');
    } finally {
      await runner.release();
    }
  });

  it('creates one live task for one identity however many ask at once, and a new one once it finished', async () => {
    const store = new TaskStore(db.dataSource, teamScope('blue'));
    const results = await Promise.all(Array.from({ length: 20 }, () => store.createOrGet(newTask('same', 'key-1'))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
    // Another team's identical request is its own task.
    const other = await new TaskStore(db.dataSource, teamScope('red')).createOrGet(newTask('same', 'key-1'));
    expect(other.created).toBe(true);
    const worker = new TaskStore(db.dataSource, ALL_TEAMS);
    const id = results[0]?.task.id ?? '';
    expect(await worker.markRunning(id)).toMatchObject({ id, status: TaskStatus.RUNNING, attempts: 1 });
    const done = await worker.succeed(id, { ok: true });
    expect(done).toMatchObject({ status: TaskStatus.SUCCEEDED, result: { ok: true }, progress: 1, error: null });
    expect(done?.finishedAt).toBeInstanceOf(Date);
    const again = await store.createOrGet(newTask('same', 'key-1'));
    expect(again.created).toBe(true);
    expect(again.task.id).not.toBe(id);
  });

  it('claims without a second read, and refuses a finished, missing or excepted task', async () => {
    const store = new TaskStore(db.dataSource, teamScope('blue'));
    const worker = new TaskStore(db.dataSource, ALL_TEAMS);
    const flowParent = await store.create(newTask('parent'));
    expect(await worker.markRunning(flowParent.id, { except: ['runtime/echo'] })).toBeNull();
    expect((await worker.get(flowParent.id))?.status).toBe(TaskStatus.QUEUED);
    const claimed = await worker.markRunning(flowParent.id);
    expect(claimed).toMatchObject({ status: TaskStatus.RUNNING, attempts: 1, team: 'blue', input: { text: 'parent' } });
    expect(claimed?.startedAt).toBeInstanceOf(Date);
    expect(await worker.fail(flowParent.id, 'broken')).toMatchObject({ status: TaskStatus.FAILED, error: 'broken' });
    expect(await worker.markRunning(flowParent.id)).toBeNull();
    expect(await worker.markRunning('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await worker.markRunning('not-a-uuid')).toBeNull();
  });

  it('claims and records progress as heap-only updates', async () => {
    const store = new TaskStore(db.dataSource, teamScope('blue'));
    const worker = new TaskStore(db.dataSource, ALL_TEAMS);
    const hotUpdates = async (): Promise<number> =>
      Number((await db.dataSource.query<{ n: string }[]>(`SELECT n_tup_hot_upd AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'task'`, [db.schema]))[0]?.n ?? 0);
    const before = await hotUpdates();
    const tasks = await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(newTask(`hot-${i}`))));
    for (const task of tasks) {
      await worker.markRunning(task.id);
      await worker.updateProgress(task.id, 0.5, 'half');
    }
    // Statistics reach pg_stat_user_tables when each backend reports them (within about a second of idling).
    const deadline = Date.now() + 20_000;
    let after = await hotUpdates();
    while (after - before < 20 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      after = await hotUpdates();
    }
    expect(after - before).toBeGreaterThanOrEqual(20);
  });
});

/** Named (prepared) statements this process sends, counted at pg's pool (pg has no type declarations here). */
const pgPool = (createRequire(__filename)('pg') as { Pool: { prototype: { query(...args: unknown[]): unknown } } }).Pool.prototype;
async function countPrepared<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const original = pgPool.query;
  let statements = 0;
  pgPool.query = function (this: unknown, ...args: unknown[]) {
    if ((args[0] as { name?: string } | undefined)?.name) statements++;
    return original.apply(this, args);
  };
  try {
    return { result: await work(), statements };
  } finally {
    pgPool.query = original;
  }
}

describe('concurrent claims and successes through one store', () => {
  const vulns = (scope: string): FindingReport => ({ producer: 'scanner/vulnerability', scope });
  const vuln = (target: string, id: string): FindingResult => ({ kind: 'scanner', severity: 'HIGH', ruleId: id, title: id, target, location: 'pkg:deb/debian/openssl@3.0.11', data: { findingType: 'vulnerability' } });
  const imageX = `sha256:${'c'.repeat(64)}`;
  const imageY = `sha256:${'d'.repeat(64)}`;

  /** A scanner task of `team` claimed and run: its findings written under a complete report of `image`. */
  async function scanned(store: TaskStore, worker: TaskStore, team: string, image: string, ids: string[]): Promise<string> {
    const task = await store.create({ kind: 'scanner', type: 'image-scan', input: { image, ids } });
    await worker.markRunning(task.id);
    await new ResultWriter(db.dataSource, task.id, undefined, { team }).findings(
      ids.map((id) => vuln(image, id)),
      vulns(image),
    );
    return task.id;
  }

  it('share one statement each, and every task gets the findings it resolved', async () => {
    const store = new TaskStore(db.dataSource, teamScope('green'));
    const worker = new TaskStore(db.dataSource, ALL_TEAMS);
    // First scans, one at a time: X has CVE-1 and CVE-2, Y has CVE-3.
    for (const [image, ids] of [
      [imageX, ['CVE-1', 'CVE-2']],
      [imageY, ['CVE-3']],
    ] as const) {
      const id = await scanned(store, worker, 'green', image, [...ids]);
      expect((await worker.succeedResolving(id, {}))?.resolved).toEqual([]);
    }
    // Rescans: X now has only CVE-1, Y has nothing. Their claims, then their successes, at once.
    const rescans = await Promise.all([store.create({ kind: 'scanner', type: 'image-scan', input: { image: imageX } }), store.create({ kind: 'scanner', type: 'image-scan', input: { image: imageY } })]);
    const claims = await countPrepared(() => Promise.all(rescans.map((task) => worker.markRunning(task.id))));
    expect(claims.statements).toBe(1);
    expect(claims.result.map((task) => [task?.status, task?.attempts])).toEqual([
      [TaskStatus.RUNNING, 1],
      [TaskStatus.RUNNING, 1],
    ]);
    const [rescanX, rescanY] = rescans.map((task) => task.id) as [string, string];
    await new ResultWriter(db.dataSource, rescanX, undefined, { team: 'green' }).findings([vuln(imageX, 'CVE-1')], vulns(imageX));
    await new ResultWriter(db.dataSource, rescanY, undefined, { team: 'green' }).findings([], vulns(imageY));
    const successes = await countPrepared(() => Promise.all([worker.succeedResolving(rescanX, { image: 'x' }), worker.succeedResolving(rescanY, { image: 'y' })]));
    expect(successes.statements).toBe(1);
    const [doneX, doneY] = successes.result;
    expect(doneX?.task).toMatchObject({ id: rescanX, status: TaskStatus.SUCCEEDED, result: { image: 'x' } });
    expect(doneY?.task).toMatchObject({ id: rescanY, status: TaskStatus.SUCCEEDED, result: { image: 'y' } });
    expect(doneX?.resolved.map((f) => [f.target, f.ruleId, f.status])).toEqual([[imageX, 'CVE-2', 'RESOLVED']]);
    expect(doneY?.resolved.map((f) => [f.target, f.ruleId, f.status])).toEqual([[imageY, 'CVE-3', 'RESOLVED']]);
    // A task no longer RUNNING is not succeeded again, alone or beside another.
    const again = await Promise.all([worker.succeedResolving(rescanX, {}), worker.markRunning(rescanY)]);
    expect(again).toEqual([null, null]);
  });

  it('a store whose scope is the request team batches only the claims of one team together', async () => {
    let team = 'blue';
    const perRequest = new TaskStore(db.dataSource, () => team);
    const blue = await new TaskStore(db.dataSource, teamScope('blue')).create(newTask('blue-claim'));
    const red = await new TaskStore(db.dataSource, teamScope('red')).create(newTask('red-claim'));
    // Made in one turn: two while serving blue (its own task, and red's, which blue may not touch), one while serving red.
    const asBlue = [perRequest.markRunning(blue.id), perRequest.markRunning(red.id)];
    team = 'red';
    const asRed = perRequest.markRunning(red.id);
    const [blueOwn, blueOnRed] = await Promise.all(asBlue);
    expect(blueOwn).toMatchObject({ id: blue.id, team: 'blue', status: TaskStatus.RUNNING });
    expect(blueOnRed).toBeNull();
    expect(await asRed).toMatchObject({ id: red.id, team: 'red', status: TaskStatus.RUNNING, attempts: 1 });
  });

  it('a result Postgres refuses fails only its own task, not the others of its batch', async () => {
    const store = new TaskStore(db.dataSource, teamScope('green'));
    const worker = new TaskStore(db.dataSource, ALL_TEAMS);
    const tasks = await Promise.all([0, 1, 2].map((i) => store.create(newTask(`batch-${i}`))));
    await Promise.all(tasks.map((task) => worker.markRunning(task.id)));
    // jsonb refuses the NUL character (\u0000) that JSON allows.
    const settled = await Promise.allSettled(tasks.map((task, i) => worker.succeedResolving(task.id, i === 1 ? { text: 'a\u0000b' } : { ok: i })));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/unsupported Unicode escape sequence|\\u0000/);
    const rows = await Promise.all(tasks.map((task) => worker.get(task.id)));
    expect(rows.map((row) => row?.status)).toEqual([TaskStatus.SUCCEEDED, TaskStatus.RUNNING, TaskStatus.SUCCEEDED]);
  });
});
