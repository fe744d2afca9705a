import { ALL_TEAMS, TaskStatus, TaskStore, teamScope } from './index';
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
