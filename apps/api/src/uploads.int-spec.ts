import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { ServerInputPolicy } from '@bulkhead/queue';
import { testImages } from '@bulkhead/testing';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * Uploads (issue 8 part 2): files a client sends with POST /uploads and names in task inputs as
 * `upload:<id>`, with the real API and worker. The allowed paths exclude the upload folder, so an
 * upload is reachable only through its reference, and only for its own team.
 */
jest.setTimeout(90_000);

const MAX_UPLOAD = 64 * 1024;
const TEAM_QUOTA = 100 * 1024;
const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: nginx:1.25\n';

let platform: TestPlatform;
let url = '';
let dir = '';
let uploadDir = '';
const tokens: Record<string, string> = {};

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** POST /uploads with node:http, so a refused upload's answer is read even while the body is still being sent. */
function upload(body: Buffer | Iterable<Buffer>, options: { token?: string | null; contentType?: string; name?: string } = {}): Promise<Answer> {
  const token = options.token === undefined ? platform.adminToken : options.token;
  const target = new URL(`${url}/uploads${options.name !== undefined ? `?name=${encodeURIComponent(options.name)}` : ''}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, {
      method: 'POST',
      headers: { 'content-type': options.contentType ?? 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(Buffer.isBuffer(body) ? { 'content-length': String(body.length) } : {}) },
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown> }));
    });
    // The server may cut the connection after answering a refusal: the answer is what counts.
    req.on('error', (error) => setTimeout(() => reject(error), 500));
    if (Buffer.isBuffer(body)) req.end(body);
    else {
      (async () => {
        for (const chunk of body) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      })().catch(() => undefined);
    }
  });
}

function filesIn(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

/** Audit rows are written after the answer is sent: waits (briefly) for `count` of them. */
async function auditRows<T>(sql: string, count: number): Promise<T[]> {
  let rows: T[] = [];
  for (let i = 0; i < 50 && rows.length < count; i++) {
    rows = await platform.db.dataSource.query<T[]>(sql);
    if (rows.length < count) await new Promise((r) => setTimeout(r, 50));
  }
  return rows;
}

async function statusOf(id: string, token?: string): Promise<{ status: string; error: string | null; input: Record<string, unknown> }> {
  for (let i = 0; i < 300; i++) {
    const { task } = await graphqlData<{ task: { status: string; error: string | null; input: Record<string, unknown> } }>(url, 'query($id: ID!) { task(id: $id) { status error input } }', { id }, { token });
    if (!['QUEUED', 'RUNNING'].includes(task.status)) return task;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${id} did not finish`);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-uploads-'));
  const allowed = path.join(dir, 'allowed');
  mkdirSync(allowed);
  uploadDir = path.join(dir, 'uploads');
  const plugins = builtinPluginPackages();
  platform = await startTestPlatform({
    label: 'api_uploads',
    registry: registryOf(plugins),
    plugins,
    kinds: ['benchmark', 'scanner'],
    inputs: new ServerInputPolicy({ allowedPaths: [allowed], uploadDir }),
    env: { BULKHEAD_MAX_UPLOAD_BYTES: String(MAX_UPLOAD), BULKHEAD_UPLOAD_TEAM_QUOTA_BYTES: String(TEAM_QUOTA), BULKHEAD_UPLOAD_SWEEP_SECONDS: '1' },
  });
  url = platform.api.url;
  tokens['viewer'] = (await platform.createToken('viewer')).secret;
  tokens['operator'] = (await platform.createToken('operator')).secret;
  tokens['operatorB'] = (await platform.createToken('operator', 'team-b')).secret;
  tokens['operatorC'] = (await platform.createToken('operator', 'team-c')).secret;
});

afterAll(async () => {
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('uploads', () => {
  it('team A uploads a docker-archive and scans docker-archive:upload:<id> to SUCCEEDED; team B naming it is refused', async () => {
    const archive = readFileSync(testImages().tinyDockerArchive);
    // The image built by the OCI image builder in Jest's global setup fits this suite's small limit.
    expect(archive.length).toBeLessThan(MAX_UPLOAD);
    const sent = await upload(archive, { token: tokens['operator'], contentType: 'application/x-tar', name: '../../etc/passwd' });
    expect(sent.status).toBe(201);
    const id = String(sent.body['id']);
    expect(sent.body).toEqual({ id, size: archive.length, sha256: createHash('sha256').update(archive).digest('hex'), target: `upload:${id}` });
    // Stored under a server-generated name in the team's private folder, never the client's name.
    const teamFolder = path.join(uploadDir, 'team-default');
    expect(filesIn(teamFolder)).toEqual([id]);
    expect(statSync(uploadDir).mode & 0o777).toBe(0o700);
    expect(statSync(teamFolder).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(teamFolder, id)).mode & 0o777).toBe(0o600);
    const [audit] = await auditRows<{ outcome: string; token_name: string; details: Record<string, unknown> }>(`SELECT outcome, token_name, details FROM audit_log WHERE operation = 'POST /uploads' AND team = 'default'`, 1);
    expect(audit).toEqual({ outcome: 'ok', token_name: 'test-operator', details: { ...sent.body, name: '../../etc/passwd' } });

    const { uploads } = await graphqlData<{ uploads: { id: string; name: string; size: number; target: string }[] }>(url, '{ uploads { id name size target } }', {}, { token: tokens['viewer'] });
    expect(uploads).toEqual([{ id, name: '../../etc/passwd', size: archive.length, target: `upload:${id}` }]);

    const scan = 'mutation($s: String!) { scanImage(source: $s) { id } }';
    const { scanImage } = await graphqlData<{ scanImage: { id: string } }>(url, scan, { s: `docker-archive:upload:${id}` }, { token: tokens['operator'] });
    const task = await statusOf(scanImage.id);
    expect(task).toMatchObject({ status: 'SUCCEEDED', error: null });
    // The stored input names the resolved file: the worker re-checked that path.
    expect(task.input).toMatchObject({ source: `docker-archive:${path.join(teamFolder, id)}` });

    // Team B: neither the reference nor the resolved path reaches team A's file.
    const asB = await graphql(url, scan, { s: `docker-archive:upload:${id}` }, { token: tokens['operatorB'] });
    expect(asB.errors?.[0]).toMatchObject({ message: `source: no upload "${id}" for this team`, extensions: { code: 'BAD_USER_INPUT' } });
    const byPath = await graphql(url, scan, { s: `docker-archive:${path.join(teamFolder, id)}` }, { token: tokens['operatorB'] });
    expect(byPath.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(byPath.errors?.[0]?.message).toMatch(/is outside the folders this server allows/);
    expect((await graphqlData<{ uploads: unknown[] }>(url, '{ uploads { id } }', {}, { token: tokens['operatorB'] })).uploads).toEqual([]);
    const deleteAsB = await graphql(url, 'mutation($id: ID!) { deleteUpload(id: $id) }', { id }, { token: tokens['operatorB'] });
    expect(deleteAsB.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    // An id that is no upload at all, in a benchmark's path list.
    const bench = await graphql(url, 'mutation($t: String!) { runBenchmark(target: $t, profile: "pss-baseline") { id } }', { t: 'upload:00000000-0000-4000-8000-000000000000' }, { token: tokens['operator'] });
    expect(bench.errors?.[0]).toMatchObject({ message: 'paths.0: no upload "00000000-0000-4000-8000-000000000000" for this team', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('bench k8s upload:<id> benchmarks an uploaded manifest', async () => {
    const sent = await upload(Buffer.from(POD), { token: tokens['operator'], contentType: 'application/yaml' });
    expect(sent.status).toBe(201);
    const { runBenchmark } = await graphqlData<{ runBenchmark: { id: string } }>(url, 'mutation($t: String!) { runBenchmark(target: $t, profile: "pss-baseline") { id } }', { t: sent.body['target'] }, { token: tokens['operator'] });
    expect(await statusOf(runBenchmark.id)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('an oversized upload gets 413 and leaves no file (declared or streamed); text/plain 415; anonymous 401; viewer 403', async () => {
    const teamFolder = path.join(uploadDir, 'team-team-b');
    const before = filesIn(teamFolder);
    const declared = await upload(Buffer.alloc(MAX_UPLOAD + 1), { token: tokens['operatorB'] });
    expect(declared).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    // Chunked (no Content-Length): refused the moment the limit is passed, the partial file removed.
    const chunks = Array.from({ length: 64 }, () => Buffer.alloc(16 * 1024, 1));
    const streamed = await upload(chunks, { token: tokens['operatorB'] });
    expect(streamed).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(filesIn(teamFolder)).toEqual(before);
    expect((await graphqlData<{ uploads: unknown[] }>(url, '{ uploads { id } }', {}, { token: tokens['operatorB'] })).uploads).toEqual([]);
    // Refused uploads are audited like refused mutations.
    const audited = await auditRows<{ outcome: string; error: string }>(`SELECT outcome, error FROM audit_log WHERE operation = 'POST /uploads' AND team = 'team-b'`, 2);
    expect(audited).toEqual([
      { outcome: 'error', error: expect.stringMatching(/^PAYLOAD_TOO_LARGE: /) },
      { outcome: 'error', error: expect.stringMatching(/^PAYLOAD_TOO_LARGE: /) },
    ]);

    expect((await upload(Buffer.from('x'), { token: tokens['operator'], contentType: 'text/plain' })).status).toBe(415);
    expect((await upload(Buffer.from('x'), { token: tokens['operator'], contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await upload(Buffer.from('x'), { token: tokens['operator'], contentType: 'image/png' })).status).toBe(415);
    expect((await upload(Buffer.from('x'), { token: null })).status).toBe(401);
    expect((await upload(Buffer.from('x'), { token: tokens['viewer'] })).status).toBe(403);
    const deleteAsViewer = await graphql(url, 'mutation($id: ID!) { deleteUpload(id: $id) }', { id: '00000000-0000-4000-8000-000000000000' }, { token: tokens['viewer'] });
    expect(deleteAsViewer.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it("a team's uploads stay within its quota, exactly, even when two finish at once", async () => {
    const teamFolder = path.join(uploadDir, 'team-team-c');
    const token = tokens['operatorC'];
    expect((await upload(Buffer.alloc(60 * 1024), { token })).status).toBe(201);
    // 40 KiB left: a declared 50 KiB is refused before it is read.
    expect(await upload(Buffer.alloc(50 * 1024), { token })).toMatchObject({ status: 413, body: { code: 'UPLOAD_QUOTA_EXCEEDED', error: expect.stringMatching(/quota of 102400 bytes .* 40960 bytes are left/) } });
    // Two streamed 30 KiB uploads each fit what was left when they started; only one may be kept.
    const chunked = () => Array.from({ length: 30 }, () => Buffer.alloc(1024, 7));
    const both = await Promise.all([upload(chunked(), { token }), upload(chunked(), { token })]);
    expect(both.map((a) => a.status).sort()).toEqual([201, 413]);
    expect(both.find((a) => a.status === 413)?.body['code']).toBe('UPLOAD_QUOTA_EXCEEDED');
    const { uploads } = await graphqlData<{ uploads: { id: string; size: number }[] }>(url, '{ uploads { id size } }', {}, { token });
    expect(uploads.map((u) => u.size).sort((a, b) => a - b)).toEqual([30 * 1024, 60 * 1024]);
    expect(filesIn(teamFolder).sort()).toEqual(uploads.map((u) => u.id).sort());
  });

  it('deleteUpload removes row and file; the sweeper removes expired uploads', async () => {
    const teamFolder = path.join(uploadDir, 'team-default');
    const first = await upload(Buffer.from('{"a":1}'), { token: tokens['operator'], contentType: 'application/json' });
    const firstId = String(first.body['id']);
    expect(await graphqlData(url, 'mutation($id: ID!) { deleteUpload(id: $id) }', { id: firstId }, { token: tokens['operator'] })).toEqual({ deleteUpload: true });
    expect(filesIn(teamFolder)).not.toContain(firstId);

    const second = await upload(Buffer.from('{"b":2}'), { token: tokens['operator'], contentType: 'application/json' });
    const secondId = String(second.body['id']);
    expect(filesIn(teamFolder)).toContain(secondId);
    await platform.db.dataSource.query(`UPDATE upload SET expires_at = now() - interval '1 second' WHERE id = $1`, [secondId]);
    // Expired is gone for tasks at once, before the sweeper runs.
    const late = await graphql(url, 'mutation($t: String!) { runBenchmark(target: $t, profile: "pss-baseline") { id } }', { t: `upload:${secondId}` }, { token: tokens['operator'] });
    expect(late.errors?.[0]?.message).toBe(`paths.0: no upload "${secondId}" for this team`);
    // The sweeper runs every second in this suite (BULKHEAD_UPLOAD_SWEEP_SECONDS=1). It removes the
    // file first and then the row (so a crash between leaves a row to retry, never a stray file):
    // wait for both, not just the file.
    const rowOf = async () => (await platform.db.dataSource.query(`SELECT id FROM upload WHERE id = $1`, [secondId])) as unknown[];
    for (let i = 0; i < 50 && (filesIn(teamFolder).includes(secondId) || (await rowOf()).length > 0); i++) await new Promise((r) => setTimeout(r, 100));
    expect(filesIn(teamFolder)).not.toContain(secondId);
    expect(await rowOf()).toEqual([]);
  });
});
