import type { ArtifactResult, TaskContext, TaskPlatform } from '@bulkhead/plugin-sdk';
import { parseRegistryReference, pushImage, RegistryClient, staticCredentials } from '@bulkhead/oci';
import { describeWithRegistry, testImages } from '@bulkhead/testing';
import { scanImageTask } from './plugin';

/*
 * scan-image of a registry reference on a worker (`ctx.platform` set): the task builds its
 * registry client from BULKHEAD_REGISTRY_* (server mode), so a registry outside the allow-list,
 * or on a private address without BULKHEAD_REGISTRY_ALLOW_PRIVATE, is refused before any request.
 */

const VARIABLES = ['BULKHEAD_REGISTRY_ALLOWED_HOSTS', 'BULKHEAD_REGISTRY_ALLOW_PRIVATE', 'BULKHEAD_REGISTRY_INSECURE_HOSTS'] as const;

function workerContext(): { ctx: TaskContext; artifacts: ArtifactResult[] } {
  const artifacts: ArtifactResult[] = [];
  const ctx: TaskContext = {
    taskId: 't',
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => ctx.logger },
    signal: new AbortController().signal,
    workDir: '/tmp',
    emit: { artifact: async (a) => void artifacts.push(a), packages: async () => undefined, findings: async () => undefined },
    progress: () => undefined,
    extensions: (() => []) as TaskContext['extensions'],
    // Only its presence matters here: the secret scan touches no database.
    platform: { team: 'default' } as unknown as TaskPlatform,
  };
  return { ctx, artifacts };
}

describeWithRegistry('scan-image of a registry reference on a worker', (registry) => {
  const saved = Object.fromEntries(VARIABLES.map((v) => [v, process.env[v]]));
  afterEach(() => {
    for (const v of VARIABLES) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  });

  let source = '';
  beforeAll(async () => {
    const client = new RegistryClient({ credentials: staticCredentials({}) });
    try {
      await pushImage(client, `docker-archive:${testImages().tinyDockerArchive}`, parseRegistryReference(`${registry().host}/test/tiny:1`));
    } finally {
      client.close();
    }
    source = `registry:${registry().host}/test/tiny:1`;
  });

  const run = (ctx: TaskContext) => scanImageTask.run(scanImageTask.input.parse({ source, scanners: ['secret'] }), ctx);

  it('is refused when no registry is allowed (the default)', async () => {
    for (const v of VARIABLES) delete process.env[v];
    await expect(run(workerContext().ctx)).rejects.toThrow(/registry host 127\.0\.0\.1:\d+ is not in the allow-list \(BULKHEAD_REGISTRY_ALLOWED_HOSTS=\(empty\)\)/);
  });

  it('is refused for a loopback registry unless private addresses are allowed', async () => {
    process.env['BULKHEAD_REGISTRY_ALLOWED_HOSTS'] = registry().host;
    delete process.env['BULKHEAD_REGISTRY_ALLOW_PRIVATE'];
    await expect(run(workerContext().ctx)).rejects.toThrow(/private or loopback; refused in server mode/);
  });

  it('scans when the host is allowed', async () => {
    process.env['BULKHEAD_REGISTRY_ALLOWED_HOSTS'] = `ghcr.io,${registry().host}`;
    process.env['BULKHEAD_REGISTRY_ALLOW_PRIVATE'] = 'true';
    const { ctx, artifacts } = workerContext();
    const summary = await run(ctx);
    expect(summary.digest).toBe(testImages().tinyConfigDigest);
    expect(artifacts[0]?.references).toContain(source);
  });

  it('the task names no server path for a registry source', () => {
    expect(scanImageTask.serverInputs?.(scanImageTask.input.parse({ source }))).toEqual({ paths: [], trustedFields: [] });
  });
});
