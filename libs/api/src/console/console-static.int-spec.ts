import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { z } from 'zod';
import { startTestPlatform, type TestPlatform } from '../testing';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CONSOLE_CSP } from './console-static';

/**
 * The console's static files as the real API serves them (BULKHEAD_CONSOLE_DIR pointing at a
 * small build made here): headers, caching, compression, and that nothing of the API is
 * shadowed or reachable through the file server.
 */
jest.setTimeout(60_000);

/** The worker needs a task to serve; this suite asks for none. */
const idlePlugin = definePlugin({
  manifest: { id: 'test.idle', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'does nothing' },
  tasks: [defineTask({ type: 'idle', description: 'returns at once', input: z.object({}), run: async () => ({}) })],
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Raw HTTP (no URL normalisation by a client library), so `..` and encoded paths reach the server as sent. */
function get(base: string, rawPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web console served by the API', () => {
  let platform: TestPlatform;
  let dir: string;
  const script = `console.log(${JSON.stringify('x'.repeat(2000))});`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bh-console-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><html lang="en"><head><title>t</title><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>');
    await writeFile(path.join(dir, 'assets', 'index-abc123.js'), script);
    platform = await startTestPlatform({ label: 'api_console', registry: new PluginRegistry([idlePlugin]), kinds: ['scanner'], env: { BULKHEAD_CONSOLE_DIR: dir } });
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / with a strict CSP and no caching', async () => {
    const answer = await get(platform.api.url, '/', { accept: 'text/html' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.body.toString()).toContain('<div id="root">');
  });

  it('serves hashed assets as immutable, gzipped when accepted, with ETag revalidation', async () => {
    const plain = await get(platform.api.url, '/assets/index-abc123.js');
    expect(plain.status).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.body.toString()).toBe(script);
    const zipped = await get(platform.api.url, '/assets/index-abc123.js', { 'accept-encoding': 'gzip, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(plain.body.length / 4);
    expect(gunzipSync(zipped.body).toString()).toBe(script);
    const again = await get(platform.api.url, '/assets/index-abc123.js', { 'if-none-match': String(plain.headers['etag']) });
    expect(again.status).toBe(304);
    const head = await get(platform.api.url, '/assets/index-abc123.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('answers browser navigations to console routes with index.html, and only those', async () => {
    const deep = await get(platform.api.url, '/findings?severity=CRITICAL&status=OPEN', { accept: 'text/html,application/xhtml+xml' });
    expect(deep.status).toBe(200);
    expect(deep.body.toString()).toContain('<div id="root">');
    // Not a browser navigation, or not a console route: not the console's.
    expect((await get(platform.api.url, '/findings', { accept: 'application/json' })).status).toBe(404);
    expect((await get(platform.api.url, '/nothing-here', { accept: 'text/html' })).status).toBe(404);
  });

  it('shadows none of the API: /graphql, /healthz and POST still reach the API', async () => {
    const health = await get(platform.api.url, '/healthz', { accept: 'text/html' });
    expect(health.status).toBe(200);
    expect(health.headers['content-security-policy']).not.toBe(CONSOLE_CSP);
    const graphql = await fetch(`${platform.api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.adminToken}` }, body: JSON.stringify({ query: '{ me { role team } }' }) });
    expect(await graphql.json()).toEqual({ data: { me: { role: 'admin', team: 'default' } } });
    // Only GET and HEAD are the console's: a POST to / goes on to the API's own checks.
    const post = await get(platform.api.url, '/', { accept: 'text/html' }, 'POST');
    expect(post.status).toBeGreaterThanOrEqual(400);
    expect(post.body.toString()).not.toContain('<div id="root">');
  });

  it('never reads outside the build: traversal, encoded and unknown asset paths are 404', async () => {
    for (const hostile of ['/assets/../../../../etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd', '/assets/%2e%2e/index.html', '/assets/missing.js', '/assets/', '/assets/index-abc123.js/']) {
      const answer = await get(platform.api.url, hostile);
      expect([hostile, answer.status]).toEqual([hostile, 404]);
      expect(answer.body.toString()).not.toContain('root:');
    }
  });
});
