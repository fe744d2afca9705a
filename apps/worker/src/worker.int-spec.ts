import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtinPlugins } from '@bulkhead/builtin-plugins';
import { ArtifactEntity, ImageStore, PackageEntity, TaskStatus, TaskStore } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { PluginRegistry, TaskInputError } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, TaskEventsSubscriber, TaskQueues, ServerInputPolicy, TaskSubmitter, type TaskUpdate } from '@bulkhead/queue';
import { describeWithMinbase, testImages } from '@bulkhead/testing';
import { startWorker, type WorkerHost } from '@bulkhead/worker';
import { plugin as slowPlugin } from './testing/slow-plugin.fixture';
import { FINISHED, REDIS_URL, rowCounts, testPrefix, waitForStatus } from './testing/harness';

const MINBASE_PACKAGES = 88;

// Jest's project-level testTimeout does not reach these suites; real scans need more than 5 s.
jest.setTimeout(120_000);

let db: TestDatabase;
let prefix: string;
let tasks: TaskStore;
let queues: TaskQueues;
let submitter: TaskSubmitter;
let subscriber: TaskEventsSubscriber;
let host: WorkerHost | undefined;
const registry = new PluginRegistry([...builtinPlugins(), slowPlugin]);

function start(): Promise<WorkerHost> {
  return startWorker({
    registry,
    inputs: new ServerInputPolicy({ allowedPaths: ['/'] }),
    database: { dataSource: db.dataSource },
    redisUrl: REDIS_URL,
    queuePrefix: prefix,
    concurrency: { scanner: 4 },
    shutdownGraceMs: 2_000,
    migrate: false,
  });
}

beforeAll(async () => {
  db = await createTestDatabase('worker_app');
  prefix = testPrefix('worker');
  tasks = new TaskStore(db.dataSource);
  queues = new TaskQueues({ redisUrl: REDIS_URL, prefix });
  submitter = new TaskSubmitter({ registry, tasks, queues, inputs: new ServerInputPolicy({ allowedPaths: ['/'] }) });
  subscriber = new TaskEventsSubscriber({ redisUrl: REDIS_URL, prefix });
  host = await start();
});

afterAll(async () => {
  await host?.stop().catch(() => undefined);
  await queues?.close();
  await subscriber?.close();
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
  redis.disconnect();
  await db?.drop();
});

describeWithMinbase('worker with the real scanner', () => {
  it('scans the minbase OCI layout: SUCCEEDED, 88 packages, updates published', async () => {
    const images = testImages();
    const source = `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`;
    const submitted = await submitter.submit({ kind: 'scanner', type: 'scan-image', input: { source } });
    expect(submitted).toMatchObject({ created: true, enqueued: true });
    const updates: TaskUpdate[] = [];
    const iterator = await subscriber.updates(submitted.task.id);
    const collecting = (async () => {
      for await (const update of { [Symbol.asyncIterator]: () => iterator }) updates.push(update);
    })();

    const done = await waitForStatus(tasks, submitted.task.id, FINISHED);
    expect(done).toMatchObject({ status: TaskStatus.SUCCEEDED, attempts: 1, progress: 1, error: null });
    expect(done.result).toMatchObject({ digest: expect.stringMatching(/^sha256:/), packageCount: MINBASE_PACKAGES });
    const artifact = await db.dataSource.manager.findOneByOrFail(ArtifactEntity, { digest: (done.result as { digest: string }).digest });
    expect(artifact.osFamily).toBe('debian');
    expect(artifact.manifestDigests).toEqual([images.minbaseManifestDigest]);
    expect(done.artifactId).toBe(artifact.id); // the task links to the image it produced
    expect(await db.dataSource.manager.countBy(PackageEntity, { artifactId: artifact.id })).toBe(MINBASE_PACKAGES);

    await collecting; // the iterator ends after the terminal update
    expect(updates[0]?.status).toBe(TaskStatus.RUNNING);
    expect(updates.at(-1)).toMatchObject({ status: TaskStatus.SUCCEEDED, progress: 1 });
  });

  it('runs a finished scan again on request, and neither a repeat nor a forced re-scan adds rows', async () => {
    const images = testImages();
    const source = `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`;
    const packageIds = async () => (await db.dataSource.manager.find(PackageEntity, { order: { id: 'ASC' } })).map((p) => `${p.id} ${p.purl} ${p.layer}`);
    const before = await packageIds();
    const again = await submitter.submit({ kind: 'scanner', type: 'scan-image', input: { source } });
    expect(again).toMatchObject({ created: true, enqueued: true });
    expect((await waitForStatus(tasks, again.task.id, FINISHED)).status).toBe(TaskStatus.SUCCEEDED);

    const forced = await submitter.submit({ kind: 'scanner', type: 'scan-image', input: { source }, dedup: false });
    expect(forced.created).toBe(true);
    expect((await waitForStatus(tasks, forced.task.id, FINISHED)).status).toBe(TaskStatus.SUCCEEDED);
    expect(await db.dataSource.manager.count(ArtifactEntity)).toBe(1);
    expect(await db.dataSource.manager.count(PackageEntity)).toBe(MINBASE_PACKAGES);
    expect(await packageIds()).toEqual(before); // upserted in place: every package kept its id
  });

  it('fails a hostile input with its message and keeps serving', async () => {
    const notAnImage = mkdtempSync(path.join(tmpdir(), 'bulkhead-not-an-image-'));
    const bad = await submitter.submit({ kind: 'scanner', type: 'scan-image', input: { source: `oci:${notAnImage}` } });
    const failed = await waitForStatus(tasks, bad.task.id, FINISHED);
    rmSync(notAnImage, { recursive: true, force: true });
    expect(failed.status).toBe(TaskStatus.FAILED);
    expect(failed.error).toContain(notAnImage);
    expect(failed.attempts).toBe(1); // a permanent error is not retried

    const next = await submitter.submit({ kind: 'scanner', type: 'slow-inventory', input: { digest: 'sha256:after-failure', packages: 3, steps: 1, stepMs: 0 } });
    expect((await waitForStatus(tasks, next.task.id, FINISHED)).status).toBe(TaskStatus.SUCCEEDED);
  });

  it('refuses bad requests before writing anything', async () => {
    const before = await tasks.list({}, { first: 500 });
    await expect(submitter.submit({ kind: 'scanner', type: 'scan-image', input: { source: 42 } })).rejects.toThrow(
      /invalid input for task scan-image: source: /,
    );
    await expect(submitter.submit({ kind: 'scanner', type: 'no-such-task', input: {} })).rejects.toThrow(TaskInputError);
    await expect(submitter.submit({ kind: 'signer', type: 'sign', input: {} })).rejects.toThrow(/no signer plugin handles task type "sign"/);
    expect((await tasks.list({}, { first: 500 })).edges).toHaveLength(before.edges.length);
  });

  it('finishes all 20 queued scans after its Redis keys are flushed (reconciler)', async () => {
    await host?.stop();
    host = undefined;
    const images = testImages();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      // Distinct inputs (the reference differs) so that each is its own task.
      const source = i % 2 ? `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}` : `oci:${images.tinyOciLayout}:${images.tinyOciRef}`;
      const { task, enqueued } = await submitter.submit({ kind: 'scanner', type: 'scan-image', input: { source }, dedup: false });
      expect(enqueued).toBe(true);
      ids.push(task.id);
    }
    const redis = createRedis(REDIS_URL, 'producer');
    try {
      expect(await deleteKeysWithPrefix(redis, prefix)).toBeGreaterThan(0);
      for (const id of ids) expect(await queues.getJob({ id, kind: 'scanner' })).toBeUndefined();
    } finally {
      redis.disconnect();
    }

    host = await start(); // its first reconcile pass re-enqueues them
    for (const id of ids) expect((await waitForStatus(tasks, id, FINISHED, 120_000)).status).toBe(TaskStatus.SUCCEEDED);
    const minbase = await new ImageStore(db.dataSource).getByDigest(images.minbaseManifestDigest); // by manifest digest
    if (!minbase) throw new Error('minbase image not stored');
    expect(await db.dataSource.manager.countBy(PackageEntity, { artifactId: minbase.id })).toBe(MINBASE_PACKAGES);
    expect(await rowCounts(db.dataSource, minbase.id, minbase.digest)).toEqual({ packages: MINBASE_PACKAGES, findings: 0 });
  }, 180_000);
});
