import { startApi, type ApiHandle } from '@bulkhead/api';
import { loadApiConfig } from '@bulkhead/api';
import { builtinPlugins } from '@bulkhead/builtin-plugins';
import { authHeaders, useAdminToken } from '@bulkhead/api/testing';
import { createLogger } from '@bulkhead/common';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, ServerInputPolicy } from '@bulkhead/queue';
import { describeWithMinbase, testImages } from '@bulkhead/testing';
import { startWorker, type WorkerHost } from '@bulkhead/worker';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/*
 * End to end: the real API and the real worker (in this process, as `bulkhead serve` runs them)
 * against real Postgres and Redis, scanning the minbase test image (Debian bookworm, 88 packages).
 */

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
// Scans of the 51 MB image run here; Jest's default 5 s is too short on a loaded machine.
jest.setTimeout(120_000);
const logger = createLogger('api-e2e', { level: process.env['LOG_LEVEL'] ?? 'silent' });

interface GraphqlResult<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function post<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphqlResult<T>> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders(url) }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as GraphqlResult<T>;
}

async function data<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await post<T>(url, query, variables);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

interface TaskUpdate {
  status: string;
  progress: number;
  progressMessage: string | null;
  finished: boolean;
}

describeWithMinbase('API + worker end to end', () => {
  const images = testImages();
  const source = `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`;
  let db: TestDatabase;
  let api: ApiHandle;
  let worker: WorkerHost | undefined;
  let ws: Client;
  let registry: PluginRegistry;

  beforeAll(async () => {
    db = await createTestDatabase('api_e2e');
    registry = new PluginRegistry(builtinPlugins());
    const config = loadApiConfig({ DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema });
    api = await startApi({ config, registry, inputs: new ServerInputPolicy({ allowedPaths: ['/'] }), port: 0, host: '127.0.0.1', logger });
    const token = await useAdminToken(api, db.dataSource);
    ws = createClient({ url: `${api.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  });

  afterAll(async () => {
    await ws?.dispose();
    await worker?.stop();
    await api?.close();
    await db?.drop();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('lists the scanner plugin and the JSON Schema of scan-image', async () => {
    const { plugins } = await data<{ plugins: { id: string; kind: string; tasks: { type: string; inputSchema: { properties: Record<string, unknown>; required: string[] } }[] }[] }>(
      api.url,
      '{ plugins(kind: SCANNER) { id kind version phases description tasks { type description inputSchema } } }',
    );
    const scanner = plugins.find((p) => p.id === 'bulkhead.scanner');
    expect(scanner?.kind).toBe('SCANNER');
    const scanImage = scanner?.tasks.find((t) => t.type === 'scan-image');
    expect(scanImage?.inputSchema.required).toEqual(['source']);
    expect(scanImage?.inputSchema.properties).toHaveProperty('source');
  });

  it('rejects a bad scan input with BAD_USER_INPUT naming the field', async () => {
    const result = await post(api.url, 'mutation { scanImage(source: "") { id } }');
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/invalid input for task scan-image: source: /);
  });

  it('scans an image: progress over graphql-ws, SUCCEEDED, 88 packages by pagination, no duplicates on resubmission', async () => {
    const { scanImage } = await data<{ scanImage: { id: string; status: string } }>(api.url, 'mutation($source: String!) { scanImage(source: $source) { id status } }', { source });
    expect(scanImage.status).toBe('QUEUED');

    // Subscribe while the task waits in the queue, then start the worker: every update is observed.
    const updates: TaskUpdate[] = [];
    const completed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no final update within 90 s; got ${JSON.stringify(updates)}`)), 90_000);
      ws.subscribe<{ taskUpdated: TaskUpdate }>(
        { query: 'subscription($id: ID!) { taskUpdated(id: $id) { status progress progressMessage finished } }', variables: { id: scanImage.id } },
        {
          next: (result) => {
            if (result.data) updates.push(result.data.taskUpdated);
            else reject(new Error(JSON.stringify(result.errors)));
          },
          error: (error) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
          },
          complete: () => {
            clearTimeout(timer);
            resolve();
          },
        },
      );
    });
    await waitFor(() => updates.length > 0, 10_000, 'the first (current-state) update');
    worker = await startWorker({ registry, inputs: new ServerInputPolicy({ allowedPaths: ['/'] }), database: { dataSource: db.dataSource }, redisUrl: REDIS_URL, queuePrefix: db.schema, kinds: ['scanner'], shutdownGraceMs: 5_000, logger,
      // Every progress report is written: a scan of minbase can finish within one default interval.
      progressIntervalMs: 0 });
    await completed;

    expect(updates[0]).toMatchObject({ status: 'QUEUED', finished: false });
    const running = updates.filter((u) => u.status === 'RUNNING');
    expect(running.length).toBeGreaterThan(0);
    expect(running.some((u) => u.progress > 0 && u.progress < 1)).toBe(true);
    expect(updates.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 1, finished: true });

    const { task } = await data<{ task: { status: string; result: { digest: string; packageCount: number } } }>(api.url, 'query($id: ID!) { task(id: $id) { status result } }', {
      id: scanImage.id,
    });
    expect(task.status).toBe('SUCCEEDED');
    expect(task.result.digest).toMatch(/^sha256:[a-f0-9]{64}$/); // the image id (config digest)

    const names = await allPackageNames(api.url, task.result.digest);
    expect(names).toHaveLength(88);
    expect(new Set(names).size).toBe(88);
    expect(names).toContain('dpkg');

    // Submitted again, the scan runs again (the image behind a path may have changed), but while
    // that run is live the same request is the same task; results are written idempotently.
    const again = await data<{ scanImage: { id: string; status: string } }>(api.url, 'mutation($source: String!) { scanImage(source: $source) { id status } }', { source });
    expect(again.scanImage.id).not.toBe(scanImage.id);
    const viaGeneric = await data<{ submitTask: { id: string; status: string } }>(
      api.url,
      'mutation($input: JSON!) { submitTask(kind: SCANNER, type: "scan-image", input: $input) { id status } }',
      { input: { source } },
    );
    if (viaGeneric.submitTask.status === 'QUEUED' || viaGeneric.submitTask.status === 'RUNNING') expect(viaGeneric.submitTask.id).toBe(again.scanImage.id);
    await waitForTaskStatus(api.url, again.scanImage.id, 'SUCCEEDED');
    await waitForTaskStatus(api.url, viaGeneric.submitTask.id, 'SUCCEEDED');
    const [counts] = await db.dataSource.query(
      `SELECT (SELECT count(*) FROM "${db.schema}".artifact)::int AS artifacts, (SELECT count(*) FROM "${db.schema}".package)::int AS packages`,
    );
    expect(counts).toEqual({ artifacts: 1, packages: 88 });

    const { image } = await data<{ image: { digest: string; references: string[]; os: { family: string; version: string }; size: number; layers: { digest: string; size: number }[] } }>(
      api.url,
      'query($digest: String!) { image(digest: $digest) { digest references os { family version name } size layers { digest diffId size mediaType } } }',
      { digest: task.result.digest },
    );
    expect(image).toMatchObject({ digest: task.result.digest, os: { family: 'debian', version: expect.stringMatching(/^12/) } });
    expect(image.references).toContain(source);
    expect(image.layers.length).toBeGreaterThan(0);
    expect(image.size).toBe(image.layers.reduce((sum, layer) => sum + layer.size, 0));

    const { tasks } = await data<{ tasks: { totalCount: number; edges: { node: { id: string } }[] } }>(api.url, '{ tasks(filter: { kind: SCANNER, status: SUCCEEDED }) { totalCount edges { node { id } } } }');
    const succeeded = [...new Set([scanImage.id, again.scanImage.id, viaGeneric.submitTask.id])];
    expect(tasks.totalCount).toBe(succeeded.length);
    expect(tasks.edges.map((e) => e.node.id).sort()).toEqual(succeeded.sort());
    const { findings } = await data<{ findings: { totalCount: number } }>(api.url, 'query($t: String) { findings(filter: { target: $t }) { totalCount } }', { t: task.result.digest });
    expect(findings.totalCount).toBe(0); // the built-in analyzers report packages, not findings
  });

  it('keeps one record per image across its forms and rescans: stable package ids, found by either digest, linked to its tasks', async () => {
    const scans = await data<{ tasks: { edges: { node: { id: string; image: { digest: string; manifestDigests: string[] } | null } }[] } }>(
      api.url,
      '{ tasks(filter: { kind: SCANNER, status: SUCCEEDED }) { edges { node { id image { digest manifestDigests } } } } }',
    );
    const first = scans.tasks.edges.at(-1)?.node;
    if (!first?.image) throw new Error('the first scan produced no image');
    const imageId = first.image.digest;
    expect(first.image.manifestDigests).toEqual([images.minbaseManifestDigest]);
    const before = await packageIds(api.url, imageId);
    expect(before.size).toBe(88);

    // The same image as a docker-archive, submitted with labels and a parent task.
    const archive = `docker-archive:${images.minbaseDockerArchive}`;
    const { submitTask } = await data<{ submitTask: { id: string; pluginId: string; pluginVersion: string; labels: Record<string, string>; parentTaskId: string } }>(
      api.url,
      'mutation($input: JSON!, $labels: JSON, $parent: ID) { submitTask(kind: SCANNER, type: "scan-image", input: $input, labels: $labels, parentTaskId: $parent) { id pluginId pluginVersion labels parentTaskId } }',
      { input: { source: archive }, labels: { suite: 'e2e', form: 'docker-archive' }, parent: first.id },
    );
    expect(submitTask).toMatchObject({ pluginId: 'bulkhead.scanner', pluginVersion: expect.stringMatching(/^\d+\.\d+\.\d+/), labels: { suite: 'e2e', form: 'docker-archive' }, parentTaskId: first.id });
    await waitForTaskStatus(api.url, submitTask.id, 'SUCCEEDED');
    const { task } = await data<{ task: { image: { digest: string } } }>(api.url, 'query($id: ID!) { task(id: $id) { image { digest } } }', { id: submitTask.id });
    expect(task.image.digest).toBe(imageId);
    expect(await packageIds(api.url, imageId)).toEqual(before); // every package kept its id

    // Found by its image id and by its manifest digest; one record with both references.
    for (const digest of [imageId, images.minbaseManifestDigest]) {
      const { image } = await data<{ image: { digest: string; manifestDigests: string[]; references: string[]; tasks: { totalCount: number; edges: { node: { id: string } }[] } } }>(
        api.url,
        'query($digest: String!) { image(digest: $digest) { digest manifestDigests references tasks(first: 50) { totalCount edges { node { id } } } } }',
        { digest },
      );
      expect(image).toMatchObject({ digest: imageId, manifestDigests: [images.minbaseManifestDigest] });
      expect(image.references).toEqual(expect.arrayContaining([source, archive]));
      expect(image.tasks.edges[0]?.node.id).toBe(submitTask.id); // newest first
      expect(image.tasks.edges.map((e) => e.node.id)).toContain(first.id);
      expect(image.tasks.totalCount).toBe(scans.tasks.edges.length + 1);
    }
    const [counts] = await db.dataSource.query(`SELECT (SELECT count(*) FROM "${db.schema}".artifact)::int AS artifacts`);
    expect(counts).toEqual({ artifacts: 1 });

    const byLabel = await data<{ tasks: { edges: { node: { id: string } }[] } }>(api.url, '{ tasks(filter: { labels: { suite: "e2e" } }) { edges { node { id } } } }');
    expect(byLabel.tasks.edges.map((e) => e.node.id)).toEqual([submitTask.id]);
    const children = await data<{ tasks: { edges: { node: { id: string } }[] } }>(api.url, 'query($p: ID) { tasks(filter: { parentTaskId: $p }) { edges { node { id } } } }', { p: first.id });
    expect(children.tasks.edges.map((e) => e.node.id)).toEqual([submitTask.id]);
  });

  it('refuses bad labels and an unknown parent task with BAD_USER_INPUT naming them', async () => {
    const submit = (labels: unknown, parent: string | null) =>
      post(api.url, 'mutation($labels: JSON, $parent: ID) { submitTask(kind: SCANNER, type: "scan-image", input: { source: "oci:/x" }, labels: $labels, parentTaskId: $parent) { id } }', {
        labels,
        parent,
      });
    const badValue = await submit({ team: 42 }, null);
    expect(badValue.errors?.[0]).toMatchObject({ message: expect.stringMatching(/labels: "team": value must be a string, got number/), extensions: { code: 'BAD_USER_INPUT' } });
    const badKey = await submit({ '../etc': 'x' }, null);
    expect(badKey.errors?.[0]?.message).toMatch(/labels: "\.\.\/etc": keys are/);
    const notObject = await submit(['a'], null);
    expect(notObject.errors?.[0]?.message).toMatch(/labels: expected an object of strings, got an array/);
    const badFilter = await post(api.url, '{ tasks(filter: { labels: { team: 1 } }) { totalCount } }');
    expect(badFilter.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^filter\.labels: "team": value must be a string/), extensions: { code: 'BAD_USER_INPUT' } });
    const parent = await submit(null, '00000000-0000-4000-8000-000000000000');
    expect(parent.errors?.[0]).toMatchObject({ message: 'parentTaskId: task 00000000-0000-4000-8000-000000000000 does not exist', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('returns null for an image that was never scanned', async () => {
    const { image } = await data<{ image: null }>(api.url, '{ image(digest: "sha256:0000") { digest } }');
    expect(image).toBeNull();
  });
});

async function allPackageNames(url: string, digest: string): Promise<string[]> {
  const names: string[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const { image }: { image: { packages: { totalCount: number; edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } } = await data(
      url,
      'query($digest: String!, $after: String) { image(digest: $digest) { packages(first: 25, after: $after) { totalCount edges { node { type name version purl layer } } pageInfo { hasNextPage endCursor } } } }',
      { digest, after },
    );
    expect(image.packages.totalCount).toBe(88);
    names.push(...image.packages.edges.map((e) => e.node.name));
    pages++;
    if (!image.packages.pageInfo.hasNextPage) break;
    after = image.packages.pageInfo.endCursor;
  }
  expect(pages).toBe(4);
  return names;
}

/** Every package of an image: `purl layer` → id. */
async function packageIds(url: string, digest: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  let after: string | null = null;
  do {
    const { image }: { image: { packages: { edges: { node: { id: string; purl: string; layer: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } } = await data(
      url,
      'query($digest: String!, $after: String) { image(digest: $digest) { packages(first: 500, after: $after) { edges { node { id purl layer } } pageInfo { hasNextPage endCursor } } } }',
      { digest, after },
    );
    for (const { node } of image.packages.edges) ids.set(`${node.purl} ${node.layer ?? ''}`, node.id);
    after = image.packages.pageInfo.hasNextPage ? image.packages.pageInfo.endCursor : null;
  } while (after);
  return ids;
}

async function waitForTaskStatus(url: string, id: string, status: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { task } = await data<{ task: { status: string } }>(url, 'query($id: ID!) { task(id: $id) { status } }', { id });
    if (task.status === status) return;
    if (Date.now() > deadline) throw new Error(`task ${id} is ${task.status}, expected ${status} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
