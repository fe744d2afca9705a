import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { repoRoot } from '@bulkhead/testing';

/**
 * The path of a plugin author outside this repository, end to end: a strict-TypeScript npm
 * package (apps/cli/fixtures/outside-plugin) that depends only on the packed SDK (`npm run
 * pack-sdk`, installed from its .tgz; TypeScript and the peers' types come from the registry)
 * adds a result kind with its own GraphQL type and query, an HTTP ingest route and a migration.
 * It passes its own test through `@bulkhead/plugin-sdk/testing`, runs through `bulkhead run`,
 * and `bulkhead serve` with BULKHEAD_PLUGINS naming it answers its query after an ingest.
 * The package keeps its own copies of Nest, GraphQL and zod (its devDependencies), so the
 * host's loader must make it use the host's (libs/builtin-plugins/src/host-singletons.ts).
 * Needs `npm run build` (the compiled CLI) and the npm registry (skipped, saying so, without it).
 */
const run = promisify(execFile);
const BIN = path.join(repoRoot, 'bin', 'bulkhead.js');
const FIXTURE = path.join(repoRoot, 'apps', 'cli', 'fixtures', 'outside-plugin');
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function registryReachable(): string | undefined {
  try {
    execFileSync('npm', ['ping', '--fetch-timeout=5000', '--fetch-retries=0'], { stdio: 'ignore', timeout: 15_000 });
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}

/** The version the host has installed: the plugin builds against the same ones. */
function hostVersion(pkg: string): string {
  return (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

const unreachable = registryReachable();
if (unreachable && process.env['BULKHEAD_NO_SKIP'] !== '1') {
  console.log(`outside-plugin test skipped: the npm registry is unreachable (${unreachable})`);
}
const describeWithRegistry = unreachable && process.env['BULKHEAD_NO_SKIP'] !== '1' ? describe.skip : describe;

describeWithRegistry('a plugin package written outside the repository', () => {
  let root: string;
  let pluginDir: string;
  /** Where Bulkhead "is installed" with the plugin: node_modules/acme-licenses links to it. */
  let installDir: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bulkhead-outside-plugin-'));
    // Packs what `npm run build` made (the SDK's JavaScript and declarations), as npm publish would.
    const { stdout } = await run('bash', [path.join(repoRoot, 'tools', 'scripts', 'pack-sdk.sh'), '--no-build'], { cwd: repoRoot });
    const tarball = stdout.trim().split('\n').pop() as string;
    pluginDir = path.join(root, 'acme-licenses');
    cpSync(FIXTURE, pluginDir, { recursive: true });
    const peers = ['zod', '@nestjs/common', '@nestjs/core', '@nestjs/graphql', 'graphql', 'reflect-metadata', 'rxjs', 'graphql-scalars'].filter((p) =>
      existsSync(path.join(repoRoot, 'node_modules', p)),
    );
    const packageJson = {
      name: 'acme-licenses',
      version: '1.0.0',
      private: true,
      main: './dist/index.js',
      types: './dist/index.d.ts',
      exports: { '.': './dist/index.js', './api': './dist/api.js' },
      peerDependencies: { '@bulkhead/plugin-sdk': '^0.1.0', zod: '^4.0.0', '@nestjs/common': '^11.0.0', '@nestjs/graphql': '^13.0.0', graphql: '^16.0.0' },
      devDependencies: {
        '@bulkhead/plugin-sdk': `file:${tarball}`,
        typescript: hostVersion('typescript'),
        '@types/node': hostVersion('@types/node'),
        ...Object.fromEntries(peers.map((p) => [p, hostVersion(p)])),
      },
    };
    writeFileSync(path.join(pluginDir, 'package.json'), JSON.stringify(packageJson, null, 2));
    // --prefer-offline: a warm npm cache makes this a local copy (CI caches ~/.npm).
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: pluginDir, timeout: 120_000 });
    await run(path.join(pluginDir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: pluginDir }).catch((error: { stdout?: string }) => {
      throw new Error(`the strict TypeScript plugin does not compile against the packed SDK:\n${error.stdout ?? String(error)}`);
    });
    installDir = path.join(root, 'bulkhead-install');
    mkdirSync(path.join(installDir, 'node_modules'), { recursive: true });
    symlinkSync(pluginDir, path.join(installDir, 'node_modules', 'acme-licenses'), 'dir');
  }, 180_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('installs the SDK with type declarations and its own copies of the peers', () => {
    const sdk = path.join(pluginDir, 'node_modules', '@bulkhead', 'plugin-sdk');
    for (const entry of ['index', 'api/index', 'cli/index', 'testing/index']) expect(existsSync(path.join(sdk, 'src', `${entry}.d.ts`))).toBe(true);
    expect(existsSync(path.join(pluginDir, 'node_modules', '@nestjs', 'graphql'))).toBe(true);
    expect(existsSync(path.join(pluginDir, 'dist', 'index.d.ts'))).toBe(true);
  });

  it('passes its own test through @bulkhead/plugin-sdk/testing', async () => {
    const { stdout } = await run(process.execPath, ['--test', 'dist/licenses.test.js'], { cwd: pluginDir });
    expect(stdout).toMatch(/# pass 2/);
    expect(stdout).toMatch(/# fail 0/);
  }, 30_000);

  it('runs through `bulkhead run`, printing its output and findings', async () => {
    const input = JSON.stringify({ target: 'sha256:abc', packages: [{ name: 'bash', license: 'GPL-3.0-only' }, { name: 'zlib', license: 'Zlib' }] });
    const { stdout } = await run(process.execPath, [BIN, 'run', 'check-licenses', '--plugin', 'acme-licenses', '--input', input], { cwd: installDir });
    const printed = JSON.parse(stdout) as { kind: string; output: unknown; findings: { ruleId: string; target: string }[] };
    expect(printed.kind).toBe('scanner');
    expect(printed.output).toEqual({ checked: 2, forbidden: ['bash'] });
    expect(printed.findings.map((f) => [f.ruleId, f.target])).toEqual([['license/GPL-3.0-only', 'sha256:abc']]);

    const bad = await run(process.execPath, [BIN, 'run', 'check-licenses', '--plugin', 'acme-licenses', '--input', '{"target":"x"}'], { cwd: installDir }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('invalid input for task check-licenses: packages: ') });
  }, 30_000);

  describe('served with BULKHEAD_PLUGINS', () => {
    let db: TestDatabase;
    let server: ChildProcess | undefined;
    let url = '';
    /** The first admin token serve printed on the empty database. */
    let auth: Record<string, string> = {};
    const prefix = `bhtest-outside-${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      db = await createTestDatabase('outside_plugin');
      const env = { ...process.env, DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: prefix, BULKHEAD_PLUGINS: 'acme-licenses', LOG_LEVEL: 'warn' };
      const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--role', 'api'], { cwd: installDir, env, stdio: ['ignore', 'ignore', 'pipe'] });
      server = child;
      url = await new Promise<string>((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`serve did not start within 60 s:\n${err}`)), 60_000);
        child.stderr?.on('data', (d: Buffer) => {
          err += d;
          const match = /GraphQL API at (http:\/\/[^\s]+)\/graphql/.exec(err);
          if (match?.[1]) {
            clearTimeout(timer);
            auth = { authorization: `Bearer ${/^ {4}(bhk_\S+)$/m.exec(err)?.[1] ?? ''}` };
            resolve(match[1]);
          }
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${err}`)));
      });
    }, 90_000);

    afterAll(async () => {
      if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server?.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
      const redis = createRedis(REDIS_URL, 'producer');
      await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
      redis.disconnect();
      await db?.drop();
    });

    async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ query, variables }) });
      const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
      if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
      return body.data as T;
    }

    it('answers its own query after an ingest on its own route, from the table its migration made', async () => {
      const report = { target: 'registry.example/app:1.2', packages: [{ name: 'bash', license: 'GPL-3.0-only', version: '5.2' }, { name: 'zlib', license: 'Zlib' }] };
      // An outside plugin's unmarked route is closed: admin only, and never anonymous.
      const anonymous = await fetch(`${url}/acme-licenses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) });
      expect(anonymous.status).toBe(401);
      const ingest = await fetch(`${url}/acme-licenses`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(report) });
      expect(ingest.status).toBe(201);
      expect(await ingest.json()).toEqual({ stored: 2 });

      const bad = await fetch(`${url}/acme-licenses`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ target: 'x', packages: [] }) });
      // A BadRequestException of the plugin's @nestjs/common: a 400 only if it is the host's class.
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toContain('packages: ');

      const { acmeLicenseReports } = await graphql<{ acmeLicenseReports: unknown[] }>(
        'query($target: String!) { acmeLicenseReports(target: $target) { target packageName license forbidden details } }',
        { target: report.target },
      );
      expect(acmeLicenseReports).toEqual([
        { target: report.target, packageName: 'bash', license: 'GPL-3.0-only', forbidden: true, details: { name: 'bash', license: 'GPL-3.0-only', version: '5.2' } },
        { target: report.target, packageName: 'zlib', license: 'Zlib', forbidden: false, details: { name: 'zlib', license: 'Zlib' } },
      ]);
      const { plugins } = await graphql<{ plugins: { id: string; tasks: { type: string }[] }[] }>('{ plugins { id tasks { type } } }');
      expect(plugins.find((p) => p.id === 'acme.licenses')?.tasks).toEqual([{ type: 'check-licenses' }]);
    }, 30_000);
  });
});
