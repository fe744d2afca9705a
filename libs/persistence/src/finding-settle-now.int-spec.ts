import type { FindingReport, FindingResult } from '@bulkhead/plugin-sdk';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import { FindingStatus, FindingStore, ResultWriter, TaskStore, teamScope, type UpsertedFinding } from './index';
import { createTestDatabase, type TestDatabase } from './testing';

/*
 * Complete reports settled when written (FindingReport.settle `immediate`) on real Postgres: a
 * long-running task (a cluster watch) reports one object per pair as it changes; what a report
 * no longer names is RESOLVED at once, while the task keeps RUNNING, and announced; the task's
 * end (success or failure) does not touch those pairs again. Other teams and pairs are untouched.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('finding_settle_now');
});
afterAll(async () => {
  await db?.drop();
});

const finding = (target: string, ruleId: string): FindingResult => ({ kind: 'benchmark', severity: 'HIGH', ruleId, title: ruleId, target, location: 'pss-baseline' });
const live = (scope: string): FindingReport => ({ producer: 'benchmark/cluster', scope, settle: 'immediate' });

async function runningTask(team: string): Promise<{ id: string; store: TaskStore }> {
  const store = new TaskStore(db.dataSource, teamScope(team));
  const task = await store.create({ kind: 'benchmark', type: 'watch', input: { team } });
  await store.markRunning(task.id);
  return { id: task.id, store };
}

async function statusOf(team: string, target: string): Promise<Record<string, string>> {
  const page = await new FindingStore(db.dataSource, teamScope(team)).list({ target }, { first: 100 });
  return Object.fromEntries(page.edges.map((e) => [e.node.ruleId, e.node.status]));
}

describe('FindingReport settle: immediate', () => {
  it('resolves what a report no longer names at once, while the task runs, and announces it', async () => {
    const { id, store } = await runningTask('red');
    const fresh: UpsertedFinding[] = [];
    const resolved: StoredFinding[] = [];
    const writer = new ResultWriter(db.dataSource, id, undefined, {
      team: 'red',
      onNewFindings: async (rows) => void fresh.push(...rows),
      onResolvedFindings: async (rows) => void resolved.push(...rows),
    });
    const pod = 'cluster/prod/Pod/shop/debug';
    await writer.findings([finding(pod, 'privileged'), finding(pod, 'hostPath')], live(pod));
    expect(fresh.map((f) => f.ruleId)).toEqual(['privileged', 'hostPath']);
    expect(await statusOf('red', pod)).toEqual({ privileged: FindingStatus.OPEN, hostPath: FindingStatus.OPEN });

    // Fixed in part: hostPath resolved now (the task is still RUNNING).
    await writer.findings([finding(pod, 'privileged')], live(pod));
    expect(await statusOf('red', pod)).toEqual({ privileged: FindingStatus.OPEN, hostPath: FindingStatus.RESOLVED });
    expect(resolved.map((f) => [f.ruleId, f.status])).toEqual([['hostPath', FindingStatus.RESOLVED]]);
    expect((await store.get(id))?.status).toBe('RUNNING');

    // Another team's finding on the same target and pair is not touched.
    const blue = await runningTask('blue');
    await new ResultWriter(db.dataSource, blue.id, undefined, { team: 'blue' }).findings([finding(pod, 'privileged')], live(pod));

    // Deleted: an empty report resolves the rest; a failed end changes nothing afterwards.
    await writer.findings([], live(pod));
    expect(await statusOf('red', pod)).toEqual({ privileged: FindingStatus.RESOLVED, hostPath: FindingStatus.RESOLVED });
    expect(await statusOf('blue', pod)).toEqual({ privileged: FindingStatus.OPEN });

    // Back again: reopened, not duplicated; the task's success resolves nothing of the pair.
    await writer.findings([finding(pod, 'privileged')], live(pod));
    await store.succeedResolving(id, {});
    expect(await statusOf('red', pod)).toEqual({ privileged: FindingStatus.OPEN, hostPath: FindingStatus.RESOLVED });
  });

  it('refuses an unknown settle value, naming it', async () => {
    const { id } = await runningTask('green');
    const writer = new ResultWriter(db.dataSource, id, undefined, { team: 'green' });
    await expect(writer.findings([], { producer: 'p', scope: 's', settle: 'later' as never })).rejects.toThrow('FindingReport.settle must be "task-success" or "immediate", not "later"');
  });
});
