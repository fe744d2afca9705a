import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isRejected } from '../import/osv-record';
import { readAdvisories } from '../import/read-advisories';
import { buildZip } from '../import/testing/zip-writer';
import { fetchFeed, withFeed, type FeedValidators, type FetchFeedOptions } from './fetch-feed';

// Some cases write and read tens of MB; leave room for a loaded CI machine.
jest.setTimeout(30_000);

/*
 * A real HTTP server (node:http) serving OSV zips the way osv.dev's bucket does (ETag,
 * Last-Modified, conditional GET), plus the broken servers a feed must survive.
 */

const record = (id: string) => JSON.stringify({ id, affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }] });
const zip = buildZip([{ name: 'GHSA-1.json', data: record('GHSA-1') }, { name: 'GHSA-2.json', data: record('GHSA-2') }]);
const zipSha = createHash('sha256').update(zip).digest('hex');
const ETAG = '"v1"';
const LAST_MODIFIED = 'Mon, 07 Dec 2026 06:00:00 GMT';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
const hits = new Map<string, number>();
let server: Server;
let base: string;
let cacheDir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const route = (req.url ?? '').split('?')[0] ?? '';
    hits.set(route, (hits.get(route) ?? 0) + 1);
    const handler = routes.get(route);
    if (handler) handler(req, res);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  routes.clear();
  hits.clear();
  cacheDir = mkdtempSync(path.join(tmpdir(), 'bh-feed-'));
});
afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

const options = (extra: Partial<FetchFeedOptions> = {}): FetchFeedOptions => ({ cacheDir, onWarning: () => undefined, ...extra });
const leftovers = () => (existsSync(path.join(cacheDir, 'feeds')) ? readdirSync(path.join(cacheDir, 'feeds')) : []);

/** osv.dev-like: ETag + Last-Modified, 304 on a matching If-None-Match / If-Modified-Since. */
function serveZip(body: Buffer, sidecar?: string): void {
  routes.set('/npm/all.zip', (req, res) => {
    if (req.headers['if-none-match'] === ETAG || req.headers['if-modified-since'] === LAST_MODIFIED) {
      res.writeHead(304, { etag: ETAG }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length, etag: ETAG, 'last-modified': LAST_MODIFIED }).end(body);
  });
  if (sidecar !== undefined) routes.set('/npm/all.zip.sha256', (_req, res) => res.writeHead(200).end(sidecar));
}

describe('fetchFeed against a local HTTP server', () => {
  it('downloads and verifies an OSV zip, then a second run downloads nothing (304)', async () => {
    serveZip(zip, `${zipSha}  all.zip\n`);
    const url = `${base}/npm/all.zip`;
    const warnings: string[] = [];
    const first = await fetchFeed(url, {}, options({ onWarning: (m) => warnings.push(m) }));
    expect(first).toMatchObject({ status: 'downloaded', bytes: zip.length, verifiedBy: 'sha256-sidecar', validators: { etag: ETAG, lastModified: LAST_MODIFIED, sha256: zipSha } });
    expect(warnings).toEqual([`${url}: plain http has no transport security; use it only for a trusted local mirror`]);
    if (first.status !== 'downloaded') throw new Error('unreachable');
    expect(readFileSync(first.file).equals(zip)).toBe(true);
    const ids: string[] = [];
    for await (const item of readAdvisories(first.file, { source: url })) if (!isRejected(item)) ids.push(item.id);
    expect(ids).toEqual(['GHSA-1', 'GHSA-2']);
    await first.dispose();
    expect(leftovers()).toEqual([]);

    const second = await fetchFeed(url, first.validators, options());
    expect(second).toEqual({ status: 'not-modified', url, validators: first.validators });
    expect(hits.get('/npm/all.zip')).toBe(2);
    // Only Last-Modified remembered: If-Modified-Since alone gets the 304 too.
    expect((await fetchFeed(url, { lastModified: LAST_MODIFIED }, options())).status).toBe('not-modified');
  });

  it('verifies by Content-Length when there is no sidecar, and reports an unchanged body', async () => {
    serveZip(zip);
    const url = `${base}/npm/all.zip`;
    const first = await fetchFeed(url, {}, options());
    expect(first).toMatchObject({ status: 'downloaded', verifiedBy: 'content-length' });
    if (first.status === 'downloaded') await first.dispose();
    // A server without validators: the body comes again but hashes the same.
    routes.set('/npm/all.zip', (_req, res) => res.writeHead(200, { 'content-length': zip.length }).end(zip));
    expect(await fetchFeed(url, { sha256: zipSha }, options())).toEqual({ status: 'unchanged', url, validators: { sha256: zipSha } });
    expect(leftovers()).toEqual([]);
  });

  it('detects a truncated body (Content-Length larger than what is sent) and keeps nothing', async () => {
    routes.set('/npm/all.zip', (_req, res) => {
      res.writeHead(200, { 'content-length': zip.length, etag: ETAG });
      res.write(zip.subarray(0, 100));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const imported: string[] = [];
    await expect(withFeed(`${base}/npm/all.zip`, {}, options(), async (file) => imported.push(file))).rejects.toThrow(
      /npm\/all\.zip: download broke off after \d+ bytes \(other side closed\)/,
    );
    expect(imported).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('detects a checksum mismatch against the sidecar', async () => {
    serveZip(zip, `${'0'.repeat(64)}  all.zip\n`);
    await expect(fetchFeed(`${base}/npm/all.zip`, {}, options())).rejects.toThrow(new RegExp(`checksum mismatch: ${zipSha} received, 0{64} expected by .*all\\.zip\\.sha256`));
    expect(leftovers()).toEqual([]);
  });

  it('refuses a malformed sidecar', async () => {
    serveZip(zip, 'hello');
    await expect(fetchFeed(`${base}/npm/all.zip`, {}, options())).rejects.toThrow(/all\.zip\.sha256: not a SHA-256 checksum file/);
  });

  it('detects a zip cut short even when its length header agrees (no central directory)', async () => {
    const cut = zip.subarray(0, zip.length - 30);
    routes.set('/npm/all.zip', (_req, res) => res.writeHead(200, { 'content-length': cut.length }).end(cut));
    await expect(fetchFeed(`${base}/npm/all.zip`, {}, options())).rejects.toThrow(/the zip's central directory is unreadable .*truncated or corrupt download/);
    expect(leftovers()).toEqual([]);
  });

  it('accepts a chunked zip by its central directory, refuses a chunked non-zip it cannot verify', async () => {
    routes.set('/chunked.zip', (_req, res) => {
      res.writeHead(200);
      res.write(zip.subarray(0, 50));
      res.end(zip.subarray(50));
    });
    const fetched = await fetchFeed(`${base}/chunked.zip`, {}, options());
    expect(fetched).toMatchObject({ status: 'downloaded', verifiedBy: 'zip-central-directory' });
    if (fetched.status === 'downloaded') await fetched.dispose();
    routes.set('/chunked.jsonl', (_req, res) => {
      res.writeHead(200);
      res.write(record('A'));
      res.end('\n');
    });
    await expect(fetchFeed(`${base}/chunked.jsonl`, {}, options())).rejects.toThrow(/cannot verify the download is complete \(\d+ bytes; no .*chunked\.jsonl\.sha256, no Content-Length, not a zip\)/);
  });

  it('enforces the size limit from the header and from the body', async () => {
    serveZip(zip);
    await expect(fetchFeed(`${base}/npm/all.zip`, {}, options({ maxBytes: 100 }))).rejects.toThrow(/declared, over the 100 bytes limit/);
    routes.set('/big', (_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(5000));
    });
    await expect(fetchFeed(`${base}/big`, {}, options({ maxBytes: 1000 }))).rejects.toThrow(/body passes the 1000 bytes limit/);
    expect(leftovers()).toEqual([]);
  });

  it('follows redirects within the limit', async () => {
    serveZip(zip);
    routes.set('/latest', (_req, res) => res.writeHead(302, { location: '/hop' }).end());
    routes.set('/hop', (_req, res) => res.writeHead(301, { location: `${base}/npm/all.zip` }).end());
    const fetched = await fetchFeed(`${base}/latest`, {}, options());
    expect(fetched).toMatchObject({ status: 'downloaded', bytes: zip.length });
    if (fetched.status === 'downloaded') await fetched.dispose();
    routes.set('/loop', (_req, res) => res.writeHead(302, { location: '/loop' }).end());
    await expect(fetchFeed(`${base}/loop`, {}, options({ maxRedirects: 3 }))).rejects.toThrow(/more than 3 redirects/);
  });

  it('names HTTP errors, unreachable servers, silent servers and bad URLs', async () => {
    routes.set('/broken', (_req, res) => res.writeHead(500).end());
    await expect(fetchFeed(`${base}/broken`, {}, options())).rejects.toThrow(/broken: the server answered 500 Internal Server Error/);
    await expect(fetchFeed(`${base}/absent.zip`, {}, options())).rejects.toThrow(/absent\.zip: the server answered 404 Not Found/);
    routes.set('/silent', () => undefined);
    await expect(fetchFeed(`${base}/silent`, {}, options({ idleTimeoutMs: 200 }))).rejects.toThrow(/silent: request failed \(.*no data for 200 ms\)/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(fetchFeed(`http://127.0.0.1:${port}/x.zip`, {}, options())).rejects.toThrow(/x\.zip: request failed \(ECONNREFUSED\)/);
    await expect(fetchFeed('ftp://example.org/x.zip', {}, options())).rejects.toThrow(/only http\(s\) feeds are supported/);
    await expect(fetchFeed('https://user:secret@example.org/x.zip', {}, options())).rejects.toThrow(/credentials in feed URLs are not accepted/);
  });

  it('withFeed imports only a verified, changed body and always removes it', async () => {
    serveZip(zip, zipSha);
    const url = `${base}/npm/all.zip`;
    let validators: FeedValidators = {};
    const first = await withFeed(url, validators, options(), async (file) => {
      const ids: string[] = [];
      for await (const item of readAdvisories(file, { source: url })) if (!isRejected(item)) ids.push(item.id);
      return ids;
    });
    expect(first).toMatchObject({ status: 'downloaded', result: ['GHSA-1', 'GHSA-2'] });
    validators = first.validators;
    expect(leftovers()).toEqual([]);
    const importer = jest.fn();
    expect(await withFeed(url, validators, options(), importer)).toEqual({ status: 'not-modified', validators });
    expect(importer).not.toHaveBeenCalled();
    // An importer failure (e.g. the store's transaction rolled back) still removes the download.
    await expect(withFeed(url, {}, options(), async () => Promise.reject(new Error('import failed')))).rejects.toThrow('import failed');
    expect(leftovers()).toEqual([]);
  });
});
