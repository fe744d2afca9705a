import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { itWithMinbase, repoRoot, testImages } from '@bulkhead/testing';

/**
 * The `bulkhead` command as a user runs it: the compiled CLI (npm run build) as real processes,
 * `serve` against the real Postgres and Redis, and `scan --server` talking to it.
 */
const BIN = path.join(repoRoot, 'bin', 'bulkhead.js');
// Each test starts Node processes (serve, scan): on a loaded machine (the whole suite in
// parallel) that alone exceeds Jest's default 5 s. The waits inside have their own limits.
jest.setTimeout(90_000);
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('bulkhead serve + scan --server', () => {
  let db: TestDatabase;
  let server: ChildProcess | undefined;
  let serverExit: Promise<number | null>;
  let url = '';
  /** The first admin token `serve` printed (the database had none). */
  let token = '';
  let serverErr = '';
  let dbEnv: NodeJS.ProcessEnv = {};
  const prefix = `bhtest-cli-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase('cli_serve');
    dbEnv = { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema };
    const env = { ...process.env, ...dbEnv, REDIS_URL, BULKHEAD_QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    server = child;
    serverExit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start within 60 s:\n${err}`)), 60_000);
      child.stderr?.on('data', (d: Buffer) => {
        err += d;
        serverErr = err;
        const match = /GraphQL API at (http:\/\/[^\s]+)\/graphql/.exec(err);
        if (match?.[1]) {
          clearTimeout(timer);
          token = /^ {4}(bhk_[A-Za-z0-9_-]{43})$/m.exec(err)?.[1] ?? '';
          resolve(match[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${err}`)));
    });
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await serverExit;
    }
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await db?.drop();
  });

  itWithMinbase('scans the minbase OCI layout on the server and prints the same report as inline', async () => {
    const images = testImages();
    const source = `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`;
    const remote = await run(['scan', '--server', url, '--token', token, source, '--format', 'json']);
    expect(remote.err).toContain('submitted task');
    expect(remote.code).toBe(0);
    const inline = await run(['scan', source, '--format', 'json']);
    expect(inline.code).toBe(0);
    const remoteReport = JSON.parse(remote.out);
    expect(remoteReport.packages).toHaveLength(88);
    expect(remoteReport.artifact.os).toEqual({ family: 'debian', version: '12' });
    const inlineReport = JSON.parse(inline.out);
    expect(remoteReport.packages).toEqual(inlineReport.packages);
    expect(remoteReport.artifact.digest).toBe(inlineReport.artifact.digest);
    expect(remoteReport.artifact.manifestDigests).toEqual([images.minbaseManifestDigest]);
  });

  it('reports a failed remote task with its message and exit code 1', async () => {
    const { code, err } = await run(['scan', '--server', url, 'oci:/nonexistent/bulkhead-cli-test'], { BULKHEAD_TOKEN: token });
    expect(code).toBe(1);
    expect(err).toMatch(/FAILED: .*\/nonexistent\/bulkhead-cli-test/);
  });

  it('printed a first admin token once on the empty database; the API refuses commands without a valid token', async () => {
    expect(token).toMatch(/^bhk_/);
    expect(serverErr.match(/bhk_/g)).toHaveLength(1);
    expect(serverErr).toMatch(/no API token existed, so one admin token \(team default, id [0-9a-f-]{36}\) was created/);
    const anonymous = await run(['scan', '--server', url, 'oci:/nonexistent/x'], { BULKHEAD_TOKEN: '' });
    expect(anonymous.code).toBe(1);
    expect(anonymous.err).toMatch(/authentication required.*pass --token or set BULKHEAD_TOKEN/);
    const wrong = await run(['scan', '--server', url, '--token', `bhk_${'x'.repeat(43)}`, 'oci:/nonexistent/x']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/not valid.*check the token given by --token or BULKHEAD_TOKEN/);
    // A viewer made with `bulkhead token create` reads but cannot submit.
    const created = await run(['token', 'create', '--team', 'default', '--role', 'viewer', '--name', 'reader'], dbEnv);
    expect(created.code).toBe(0);
    const viewer = created.out.trim();
    expect(viewer).toMatch(/^bhk_[A-Za-z0-9_-]{43}$/);
    expect(created.err).toMatch(/created API token .* \(reader, team default, role viewer, never expires\)/);
    const denied = await run(['scan', '--server', url, '--token', viewer, 'oci:/nonexistent/x']);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/scanImage needs the operator role; this token has viewer/);
    const listed = await run(['token', 'list'], dbEnv);
    expect(listed.out).toMatch(/first-admin +default +admin +active/);
    expect(listed.out).toMatch(/reader +default +viewer +active/);
    expect(listed.out).not.toMatch(/bhk_/);
    const id = /^(\S+) +reader /m.exec(listed.out)?.[1] ?? '';
    expect((await run(['token', 'revoke', id], dbEnv)).code).toBe(0);
    const revoked = await run(['scan', '--server', url, '--token', viewer, 'oci:/nonexistent/x']);
    expect(revoked.err).toMatch(/revoked/);
    const badRole = await run(['token', 'create', '--team', 'default', '--role', 'root'], dbEnv);
    expect(badRole).toMatchObject({ code: 2, err: expect.stringMatching(/role "root" must be one of viewer, operator, admin/) });
  });

  it('stops gracefully on SIGTERM', async () => {
    server?.kill('SIGTERM');
    expect(await serverExit).toBe(0);
  });
});

describe('bulkhead serve without services', () => {
  it('exits 1 naming the database URL and how to provide one', async () => {
    const { code, err } = await run(['serve', '--port', '0'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(code).toBe(1);
    expect(err).toContain('cannot connect to Postgres at postgres://postgres@127.0.0.1:1/postgres');
    expect(err).toContain('docker compose -f docker/compose.yaml up -d postgres');
    expect(err).not.toContain('    at ');
  });

  it('names a bad variable', async () => {
    const { code, err } = await run(['serve'], { REDIS_URL: 'http://nope' });
    expect(code).toBe(1);
    expect(err).toContain('REDIS_URL="http://nope": must be a URL with protocol redis: or rediss:');
  });
});
