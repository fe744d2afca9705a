import { setTimeout as sleep } from 'node:timers/promises';
import { TaskStatus, TaskStore } from '@bulkhead/persistence';
import type { TestDatabase } from '@bulkhead/persistence/testing';
import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { z } from 'zod';
import type { ApiHandle } from './start-api';
import { graphqlData } from './testing/graphql-http';
import { startTestPlatform, type TestPlatform } from './testing/platform';

/*
 * The API with a worker, over real Postgres and Redis: `cancelTask` stops a task the worker
 * runs. (Alerts a worker task raises reaching `alertRaised` are the runtime plugin's API
 * surface: apps/api/src/runtime/worker-alerts.int-spec.ts.)
 */

jest.setTimeout(60_000);

/** When each wait task's signal aborted, by task id. */
const aborted = new Map<string, number>();
const waitPlugin = definePlugin({
  manifest: { id: 'test.wait', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'waits until aborted' },
  tasks: [
    defineTask({
      type: 'wait',
      description: 'waits `ms` unless aborted first',
      input: z.object({ ms: z.number().int().min(0) }),
      run: async (input, ctx) => {
        ctx.signal.addEventListener('abort', () => aborted.set(ctx.taskId, Date.now()), { once: true });
        await sleep(input.ms, undefined, { signal: ctx.signal });
        return { waited: input.ms };
      },
    }),
  ],
});

let platform: TestPlatform;
let db: TestDatabase;
let api: ApiHandle;
let tasks: TaskStore;

beforeAll(async () => {
  platform = await startTestPlatform({ label: 'api_worker_pubsub', registry: new PluginRegistry([waitPlugin]), kinds: ['scanner'], shutdownGraceMs: 2_000 });
  ({ db, api } = platform);
  tasks = new TaskStore(db.dataSource);
});

afterAll(async () => {
  await platform?.stop();
});

async function submit(kind: string, type: string, input: unknown): Promise<string> {
  const data = await graphqlData<{ submitTask: { id: string } }>(api.url, 'mutation($kind: PluginKind!, $type: String!, $input: JSON!) { submitTask(kind: $kind, type: $type, input: $input) { id } }', { kind, type, input });
  return data.submitTask.id;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const statusOf = async (id: string): Promise<TaskStatus | undefined> => (await tasks.get(id))?.status;
const finished = (id: string) => until(`task ${id} to finish`, async () => {
  const status = await statusOf(id);
  return status === TaskStatus.SUCCEEDED || status === TaskStatus.FAILED || status === TaskStatus.CANCELLED ? status : undefined;
});

describe('cancelTask on a running task', () => {
  it('aborts it in the worker; the task stays CANCELLED and the worker runs the next one', async () => {
    const id = await submit('SCANNER', 'wait', { ms: 30_000 });
    await until('the task to run', async () => ((await statusOf(id)) === TaskStatus.RUNNING ? true : undefined));
    const cancelledAt = Date.now();
    const data = await graphqlData<{ cancelTask: { status: string } }>(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { status } }', { id });
    expect(data.cancelTask.status).toBe('CANCELLED');
    const abortedAt = await until('the plugin to see the abort', async () => aborted.get(id), 2_000);
    expect(abortedAt - cancelledAt).toBeLessThan(1_500);

    const next = await submit('SCANNER', 'wait', { ms: 10 });
    expect(await finished(next)).toBe(TaskStatus.SUCCEEDED);
    expect(await tasks.get(id)).toMatchObject({ status: TaskStatus.CANCELLED, attempts: 1, result: null });
  });
});
