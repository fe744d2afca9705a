import type { FindingResult } from '@bulkhead/plugin-sdk';
import { ALL_TEAMS, FindingStatus, FindingStore, ImageStore, ResultWriter, TaskStore, teamScope } from './index';
import { createTestDatabase, type TestDatabase } from './testing';

/*
 * Team scoping in the stores: identities (task dedup, image digest, finding fingerprint) are per
 * team, and a store scoped to one team never reads, changes or resolves another team's rows.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('teams');
});

afterAll(async () => {
  await db?.drop();
});

const finding = (ruleId: string): FindingResult => ({ kind: 'benchmark', severity: 'HIGH', ruleId, title: ruleId, target: 'Pod/default/priv' });

/** What the worker does for a task: claim it, write its results under its team, succeed. */
async function run(taskId: string, findings: FindingResult[], digest?: string): Promise<void> {
  const worker = new TaskStore(db.dataSource, ALL_TEAMS);
  const task = await worker.markRunning(taskId);
  if (!task) throw new Error(`task ${taskId} not claimed`);
  const writer = new ResultWriter(db.dataSource, taskId, undefined, { team: task.team });
  if (digest) {
    await writer.artifact({ digest, references: ['oci:/x'], size: 1, layers: [] });
    await writer.packages(digest, [{ type: 'deb', name: 'bash', version: '5', purl: 'pkg:deb/bash@5' }]);
  }
  await writer.findings(findings);
  await worker.succeed(taskId, null);
}

describe('team scoping of the stores', () => {
  const stores = (team: string) => ({ tasks: new TaskStore(db.dataSource, teamScope(team)), images: new ImageStore(db.dataSource, teamScope(team)), findings: new FindingStore(db.dataSource, teamScope(team)) });

  it('the same work in two teams is two tasks, two images with their packages and two findings; neither team sees the other’s', async () => {
    const [r, b] = [stores('red'), stores('blue')];
    const request = { kind: 'benchmark' as const, type: 'k8s-manifests', input: { paths: ['/m'] }, dedupKey: 'same-work' };
    const redTask = await r.tasks.createOrGet(request);
    const blueTask = await b.tasks.createOrGet(request);
    expect(blueTask.created).toBe(true);
    expect(blueTask.task.id).not.toBe(redTask.task.id);
    expect((await r.tasks.createOrGet(request)).task.id).toBe(redTask.task.id); // deduplicated within the team
    expect(redTask.task.team).toBe('red');

    const digest = `sha256:${'a'.repeat(64)}`;
    await run(redTask.task.id, [finding('privileged'), finding('runAsNonRoot')], digest);
    await run(blueTask.task.id, [finding('privileged'), finding('runAsNonRoot')], digest);

    const redImage = await r.images.getByDigest(digest);
    const blueImage = await b.images.getByDigest(digest);
    expect(redImage?.team).toBe('red');
    expect(blueImage?.team).toBe('blue');
    expect(blueImage?.id).not.toBe(redImage?.id);
    expect(await r.images.getById(blueImage?.id ?? '')).toBeNull();
    expect(await r.images.countPackages(redImage?.id ?? '')).toBe(1);
    expect(await r.images.countPackages(blueImage?.id ?? '')).toBe(0);
    expect((await r.images.packages(blueImage?.id ?? '')).edges).toEqual([]);
    expect((await r.images.list()).edges.map((e) => e.node.id)).toEqual([redImage?.id]);
    expect(await r.images.executables(digest)).toBeNull(); // none recorded, but the lookup is red's own row
    expect((await r.tasks.get(redTask.task.id))?.artifactId).toBe(redImage?.id);
    expect((await b.tasks.get(blueTask.task.id))?.artifactId).toBe(blueImage?.id);

    const redFindings = await r.findings.list();
    const blueFindings = await b.findings.list();
    expect(redFindings.edges).toHaveLength(2);
    expect(blueFindings.edges).toHaveLength(2);
    expect(redFindings.edges.map((e) => e.node.fingerprint).sort()).toEqual(blueFindings.edges.map((e) => e.node.fingerprint).sort());
    expect(redFindings.edges.every((e) => e.node.team === 'red' && e.node.taskId === redTask.task.id)).toBe(true);
    expect(await r.findings.count()).toBe(2);

    expect(await r.tasks.get(blueTask.task.id)).toBeNull();
    expect((await r.tasks.list()).edges.map((e) => e.node.id)).toEqual([redTask.task.id]);
    expect(await r.tasks.count()).toBe(1);
    await expect(r.tasks.cancel(blueTask.task.id)).rejects.toThrow(`task ${blueTask.task.id} does not exist`);
    const blueFinding = blueFindings.edges[0]?.node.id ?? '';
    expect(await r.findings.get(blueFinding)).toBeNull();
    expect(await r.findings.suppress(blueFinding)).toBeNull();
    expect((await b.findings.get(blueFinding))?.status).toBe(FindingStatus.OPEN);
  });

  it('a run of one team resolves only that team’s findings, never another team’s with the same producer and scope', async () => {
    const [r, b] = [stores('red2'), stores('blue2')];
    const request = { kind: 'benchmark' as const, type: 'k8s-manifests', input: { paths: ['/resolve'] } };
    await run((await r.tasks.create(request)).id, [finding('hostNetwork')]);
    await run((await b.tasks.create(request)).id, [finding('hostNetwork')]);
    await run((await r.tasks.create(request)).id, []); // red's rerun no longer reports it
    expect((await r.findings.list()).edges.map((e) => e.node.status)).toEqual([FindingStatus.RESOLVED]);
    expect((await b.findings.list()).edges.map((e) => e.node.status)).toEqual([FindingStatus.OPEN]);
  });

  it('tasks are created within a team only', async () => {
    await expect(new TaskStore(db.dataSource, ALL_TEAMS).create({ kind: 'benchmark', type: 't', input: {} })).rejects.toThrow(/within a team/);
  });
});
