import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedAdvisoryStore } from '@bulkhead/vulndb';
import { buildZip } from '@bulkhead/vulndb/testing';
import { runDbCommand as db } from './db-command.fixture';

/*
 * `bulkhead db update --feed` against a real local HTTP server serving OSV zips as osv.dev's
 * bucket does (ETag, Last-Modified, 304 on a conditional GET), and one that breaks off a download.
 */


const record = (id: string, name: string): string =>
  JSON.stringify({ id, aliases: [`CVE-${id}`], affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }] });

interface Served {
  body: Buffer;
  etag: string;
  /** Send only this many bytes of the body while declaring its full length. */
  truncateAt?: number;
}
const feeds = new Map<string, Served>();
const requests: { url: string; ifNoneMatch?: string }[] = [];
let server: Server;
let base: string;
let cacheDir: string;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  requests.push({ url, ...(typeof req.headers['if-none-match'] === 'string' ? { ifNoneMatch: req.headers['if-none-match'] } : {}) });
  const served = feeds.get(url);
  if (!served) {
    res.writeHead(404).end();
    return;
  }
  if (req.headers['if-none-match'] === served.etag) {
    res.writeHead(304, { etag: served.etag }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': served.body.length, etag: served.etag });
  if (served.truncateAt === undefined) res.end(served.body);
  else res.write(served.body.subarray(0, served.truncateAt), () => res.destroy());
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  feeds.clear();
  requests.length = 0;
  cacheDir = mkdtempSync(path.join(tmpdir(), 'bh-db-update-'));
});
afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

async function names(): Promise<string[]> {
  const store = openEmbeddedAdvisoryStore(cacheDir);
  const found = await store.candidates('npm', ['left-pad', 'right-pad', 'up-pad']);
  await store.close();
  return [...found.keys()].sort();
}

describe('bulkhead db update', () => {
  it('says plainly that there are no built-in feeds', async () => {
    const run = await db('update', '--cache-dir', cacheDir);
    expect(run.code).toBe(2);
    expect(run.err).toContain('no feeds to update: bulkhead has no built-in advisory feeds. Give one or more with --feed URL');
    // ... and creates no (empty) database that a scan could take for a clean result.
    expect(existsSync(path.join(cacheDir, 'vulndb'))).toBe(false);
  });

  it('imports an OSV zip, downloads nothing on the second run (304), remembers the feed, and replaces the source on a change', async () => {
    const url = `${base}/npm/all.zip`;
    feeds.set('/npm/all.zip', { body: buildZip([{ name: 'GHSA-1.json', data: record('GHSA-1', 'left-pad') }, { name: 'GHSA-2.json', data: record('GHSA-2', 'right-pad') }]), etag: '"v1"' });
    const first = await db('update', '--feed', url, '--cache-dir', cacheDir);
    expect(first).toMatchObject({ code: 0, out: `${url}: 2 advisories imported\n` });
    expect(first.err).toContain('plain http has no transport security');
    expect(await names()).toEqual(['left-pad', 'right-pad']);

    // No --feed: the remembered feed, asked conditionally.
    const second = await db('update', '--cache-dir', cacheDir);
    expect(second).toMatchObject({ code: 0, out: `${url}: not modified since the last update (HTTP 304): nothing downloaded\n` });
    expect(requests.at(-1)).toEqual({ url: '/npm/all.zip', ifNoneMatch: '"v1"' });

    const status = openEmbeddedAdvisoryStore(cacheDir);
    const [source] = (await status.status()).sources;
    await status.close();
    expect(source).toMatchObject({ source: url, records: 2, feed: { url, etag: '"v1"', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), checkedAt: expect.any(String) } });

    feeds.set('/npm/all.zip', { body: buildZip([{ name: 'GHSA-2.json', data: record('GHSA-2', 'right-pad') }, { name: 'GHSA-3.json', data: record('GHSA-3', 'up-pad') }]), etag: '"v2"' });
    const third = await db('update', '--cache-dir', cacheDir);
    expect(third).toMatchObject({ code: 0, out: `${url}: 2 advisories imported (1 replaced, 1 removed (no longer in the source))\n` });
    expect(await names()).toEqual(['right-pad', 'up-pad']);
    // The verified download is deleted once imported.
    expect(readdirSync(path.join(cacheDir, 'feeds'))).toEqual([]);
  });

  it('detects a truncated download and keeps the old data', async () => {
    const url = `${base}/npm/all.zip`;
    feeds.set('/npm/all.zip', { body: buildZip([{ name: 'GHSA-1.json', data: record('GHSA-1', 'left-pad') }]), etag: '"v1"' });
    expect((await db('update', '--feed', url, '--cache-dir', cacheDir)).code).toBe(0);

    const bigger = buildZip(Array.from({ length: 50 }, (_, i) => ({ name: `GHSA-x${i}.json`, data: record(`GHSA-x${i}`, 'right-pad') })));
    feeds.set('/npm/all.zip', { body: bigger, etag: '"v2"', truncateAt: Math.floor(bigger.length / 2) });
    const run = await db('update', '--cache-dir', cacheDir);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${url}: not updated, the stored data is kept: `);
    expect(await names()).toEqual(['left-pad']);
    expect(readdirSync(path.join(cacheDir, 'feeds'))).toEqual([]);
  });

  it('reports a feed the server does not have, and still updates the others', async () => {
    feeds.set('/pypi/all.zip', { body: buildZip([{ name: 'PYSEC-1.json', data: record('PYSEC-1', 'left-pad') }]), etag: '"p1"' });
    const run = await db('update', '--feed', `${base}/missing.zip`, '--feed', `${base}/pypi/all.zip`, '--cache-dir', cacheDir);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${base}/missing.zip: not updated, the stored data is kept: ${base}/missing.zip: the server answered 404`);
    expect(run.out).toBe(`${base}/pypi/all.zip: 1 advisory imported\n`);
  });
});
