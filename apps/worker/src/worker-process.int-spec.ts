import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArtifactEntity, TaskStatus, TaskStore } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, TaskQueues, ServerInputPolicy, TaskSubmitter } from '@bulkhead/queue';
import { repoRoot } from '@bulkhead/testing';
import { plugin as slowPlugin } from './testing/slow-plugin.fixture';
import { FINISHED, REDIS_URL, rowCounts, testPrefix, waitFor, waitForStatus } from './testing/harness';

// The worker runs as a real child process (compiled with swc, as `npm run build` does, into a
// directory of this suite's own outside the repository, so that other engineers' Jest runs do not
// see a second copy of the sources) so that it can be killed for real.
jest.setTimeout(180_000);

const buildDir = path.join(tmpdir(), `bulkhead-worker-process-it-${randomBytes(4).toString('hex')}`);
const mainJs = path.join(buildDir, 'apps/worker/src/main.js');
const slowPluginJs = path.join(buildDir, 'apps/worker/src/testing/slow-plugin.fixture.js');

let db: TestDatabase;
let prefix: string;
let tasks: TaskStore;
let queues: TaskQueues;
let submitter: TaskSubmitter;
const children: ChildProcess[] = [];

interface RunningWorker {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(env: Record<string, string> = {}): RunningWorker {
  const child = spawn(process.execPath, [mainJs], {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      DATABASE_URL: db.url,
      DATABASE_SCHEMA: db.schema,
      REDIS_URL,
      BULKHEAD_QUEUE_PREFIX: prefix,
      BULKHEAD_PLUGINS: slowPluginJs,
      WORKER_LOCK_DURATION_MS: '2000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      WORKER_SHUTDOWN_GRACE_MS: '500',
      WORKER_MIGRATE: 'false',
      LOG_LEVEL: 'info',
      // A killed worker cannot remove its task's scratch directory: keep those inside buildDir.
      TMPDIR: path.join(buildDir, 'tmp'),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stderr: () => stderr, exited };
}

async function readyWorker(): Promise<RunningWorker> {
  const worker = spawnWorker();
  await Promise.race([
    waitFor('worker ready', async () => worker.stderr().includes('"msg":"worker ready"'), 30_000),
    worker.exited.then(({ code }) => {
      throw new Error(`worker exited with ${code} before it was ready:\n${worker.stderr()}`);
    }),
  ]);
  return worker;
}

function submitSlow(digest: string) {
  return submitter.submit({ kind: 'scanner', type: 'slow-inventory', input: { digest, packages: 40, steps: 30, stepMs: 200 } });
}

beforeAll(async () => {
  mkdirSync(path.join(buildDir, 'tmp'), { recursive: true });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(buildDir, 'node_modules'));
  // The build's own swc configuration (tools/scripts/swc-config.js: .swcrc plus the path aliases
  // of tsconfig.base.json), so every workspace package the worker loads resolves as in dist/.
  const config = path.join(buildDir, 'swcrc.json');
  writeFileSync(config, execFileSync(process.execPath, [path.join(repoRoot, 'tools/scripts/swc-config.js')], { cwd: repoRoot }));
  execFileSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules/@swc/cli/bin/swc.js'), 'apps/worker', 'libs', 'plugins', '-d', buildDir, '--config-file', config,
      '--ignore', '**/*.spec.ts', '--ignore', '**/*.int-spec.ts'],
    { cwd: repoRoot, stdio: 'ignore' },
  );
  db = await createTestDatabase('worker_process');
  prefix = testPrefix('worker-process');
  tasks = new TaskStore(db.dataSource);
  queues = new TaskQueues({ redisUrl: REDIS_URL, prefix });
  submitter = new TaskSubmitter({ registry: new PluginRegistry([slowPlugin]), tasks, queues, inputs: new ServerInputPolicy({ allowedPaths: ['/'] }) });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await queues?.close();
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
  redis.disconnect();
  await db?.drop();
  rmSync(buildDir, { recursive: true, force: true });
});

describe('worker process', () => {
  it('finishes a task after the worker running it is killed with SIGKILL, without duplicate rows', async () => {
    const first = await readyWorker();
    const { task } = await submitSlow('sha256:killed-mid-task');
    await waitFor('progress from the first worker', async () => {
      const row = await tasks.get(task.id);
      return row?.status === TaskStatus.RUNNING && row.progress > 0;
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect((await tasks.get(task.id))?.status).toBe(TaskStatus.RUNNING);

    const second = await readyWorker();
    const done = await waitForStatus(tasks, task.id, FINISHED);
    expect(done).toMatchObject({ status: TaskStatus.SUCCEEDED, attempts: 2, result: { packages: 40 } });
    const artifact = await db.dataSource.manager.findOneByOrFail(ArtifactEntity, { digest: 'sha256:killed-mid-task' });
    expect(await rowCounts(db.dataSource, artifact.id, artifact.digest)).toEqual({ packages: 40, findings: 40 });
    expect(second.stderr()).toContain(`"taskId":"${task.id}"`);
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it('finishes a task whose worker was SIGKILLed twice in a row (BullMQ alone fails a job at its second stall)', async () => {
    const first = await readyWorker();
    const { task } = await submitSlow('sha256:killed-twice');
    await waitFor('progress from the first worker', async () => {
      const row = await tasks.get(task.id);
      return row?.status === TaskStatus.RUNNING && row.progress > 0;
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await readyWorker();
    await waitFor('the second worker running the task', async () => second.stderr().includes(`"taskId":"${task.id}"`) && (await tasks.get(task.id))?.attempts === 2);
    second.child.kill('SIGKILL');
    await second.exited;

    const third = await readyWorker();
    expect(await waitForStatus(tasks, task.id, FINISHED, 90_000)).toMatchObject({ status: TaskStatus.SUCCEEDED, attempts: 3 });
    third.child.kill('SIGTERM');
    await third.exited;
  });

  it('on SIGTERM releases a running task past the grace period; the next worker finishes it', async () => {
    const first = await readyWorker();
    const { task } = await submitSlow('sha256:released-at-shutdown');
    await waitForStatus(tasks, task.id, [TaskStatus.RUNNING]);
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.stderr()).toContain('task aborted and released');
    expect((await tasks.get(task.id))?.status).toBe(TaskStatus.QUEUED);
    expect(await (await queues.getJob(task))?.getState()).toBe('waiting');

    const second = await readyWorker();
    expect(await waitForStatus(tasks, task.id, FINISHED)).toMatchObject({ status: TaskStatus.SUCCEEDED, attempts: 2 });
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('exits at start-up with a message naming what is unreachable or missing', async () => {
    const noDb = spawnWorker({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/bulkhead' });
    expect((await noDb.exited).code).toBe(1);
    expect(noDb.stderr()).toMatch(/cannot connect to Postgres at postgres:\/\/postgres@127\.0\.0\.1:1\/bulkhead .*Set DATABASE_URL/);

    const noRedis = spawnWorker({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect((await noRedis.exited).code).toBe(1);
    expect(noRedis.stderr()).toMatch(/cannot connect to Redis at redis:\/\/127\.0\.0\.1:1.*Set REDIS_URL/);

    const noPlugin = spawnWorker({ BULKHEAD_PLUGINS: '@acme/bulkhead-plugin-that-does-not-exist' });
    expect((await noPlugin.exited).code).toBe(1);
    expect(noPlugin.stderr()).toContain('cannot load plugin package "@acme/bulkhead-plugin-that-does-not-exist"');

    const badConfig = spawnWorker({ WORKER_CONCURRENCY_SCANNER: 'many' });
    expect((await badConfig.exited).code).toBe(1);
    expect(badConfig.stderr()).toContain('WORKER_CONCURRENCY_SCANNER="many"');
  });
});
