import type { Logger } from '@bulkhead/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The web console's static files, served by the API at `/` so the one-process default has it.
 *
 * - Strict Content-Security-Policy on every console answer: scripts, styles and connections from
 *   this origin only (graphql-ws included: CSP3 'self' covers ws/wss of the same host), no
 *   inline script, no framing, no plugins, no <base> changes.
 * - Hashed files under /assets/ are immutable (cached a year); index.html is never cached, so a
 *   new build is picked up at the next load.
 * - The build is read into memory once at start-up (it is small): a request can only name a
 *   file that was listed, so no path from a URL ever reaches the file system. Text files are
 *   kept gzipped as well and sent so when the browser accepts it.
 * - Only GET and HEAD. The app's client-side routes get index.html only for browser navigations
 *   (Accept: text/html) to the console's own paths, so /graphql, /metrics, /healthz, /readyz,
 *   /uploads and every plugin route are never shadowed.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The console's client-side routes (apps/console/src/app.tsx): the first path segment. */
export const CONSOLE_ROUTES: readonly string[] = ['images', 'findings', 'alerts', 'benchmarks', 'tasks', 'schedules', 'results', 'settings'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.map']);
/** A build larger than this is not a console build: refuse to load it into memory. */
const MAX_BUILD_BYTES = 50 * 1024 * 1024;

interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  cacheControl: string;
}

/** Where the console build is: BULKHEAD_CONSOLE_DIR, else dist/apps/console beside the compiled API (or the repository's). */
export function consoleDirectory(configured: string | undefined): string | null {
  if (configured === 'off') return null;
  if (configured) return configured;
  const candidates = [
    // Compiled: dist/libs/api/src/console -> dist/apps/console
    path.resolve(__dirname, '../../../../apps/console'),
    // From the sources (tests): libs/api/src/console -> dist/apps/console
    path.resolve(__dirname, '../../../../dist/apps/console'),
  ];
  // A build has assets/ beside index.html (the sources' apps/console/index.html has none).
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html')) && existsSync(path.join(dir, 'assets'))) ?? candidates[0] ?? null;
}

/** Reads the build into memory; null (and a log line) when it is absent, so the API starts without a console. */
export function loadConsoleBuild(dir: string | null, logger: Logger): Map<string, StaticFile> | null {
  if (!dir) return null;
  if (!existsSync(path.join(dir, 'index.html'))) {
    logger.info({ dir }, 'web console not built (no index.html): serving the API only; `npm run build` builds it');
    return null;
  }
  const files = new Map<string, StaticFile>();
  let total = 0;
  const walk = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      const urlPath = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(full, urlPath);
      else if (entry.isFile()) {
        total += statSync(full).size;
        if (total > MAX_BUILD_BYTES) throw new Error(`web console build in ${dir} is over ${MAX_BUILD_BYTES} bytes: not a console build (BULKHEAD_CONSOLE_DIR)`);
        const ext = path.extname(entry.name).toLowerCase();
        const body = readFileSync(full);
        const immutable = urlPath.startsWith('/assets/');
        files.set(urlPath, {
          body,
          gzip: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body, { level: 9 }) : null,
          type: TYPES[ext] ?? 'application/octet-stream',
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
          cacheControl: immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        });
      }
    }
  };
  walk(dir, '');
  logger.info({ dir, files: files.size }, 'web console served at /');
  return files;
}

/** The file a GET/HEAD asks for, or index.html for a browser navigation to a console route; else undefined (not ours). */
export function consoleFileFor(files: ReadonlyMap<string, StaticFile>, urlPath: string, accept: string): StaticFile | undefined {
  if (urlPath === '/' || urlPath === '/index.html') return files.get('/index.html');
  if (urlPath.startsWith('/assets/')) return files.get(urlPath);
  const first = urlPath.split('/')[1] ?? '';
  if (CONSOLE_ROUTES.includes(first) && accept.includes('text/html')) return files.get('/index.html');
  return undefined;
}

export function mountConsole(app: NestExpressApplication, dir: string | null, logger: Logger): boolean {
  const files = loadConsoleBuild(dir, logger);
  if (!files) return false;
  app.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    const urlPath = (request.url ?? '/').split('?')[0] ?? '/';
    const file = consoleFileFor(files, urlPath, request.headers.accept ?? '');
    if (!file) {
      // A missing hashed asset is a 404 here, not a fall-through to the API's routes.
      if (urlPath.startsWith('/assets/')) {
        response.statusCode = 404;
        response.setHeader('Content-Type', 'text/plain; charset=utf-8');
        response.setHeader('Cache-Control', 'no-store');
        response.end('not found\n');
        return;
      }
      return next();
    }
    response.setHeader('Content-Security-Policy', CONSOLE_CSP);
    response.setHeader('Content-Type', file.type);
    response.setHeader('Cache-Control', file.cacheControl);
    response.setHeader('ETag', file.etag);
    response.setHeader('Vary', 'Accept-Encoding');
    if (request.headers['if-none-match'] === file.etag) {
      response.statusCode = 304;
      response.end();
      return;
    }
    const gzip = file.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    const body = gzip && file.gzip ? file.gzip : file.body;
    if (gzip) response.setHeader('Content-Encoding', 'gzip');
    response.setHeader('Content-Length', String(body.length));
    response.statusCode = 200;
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  return true;
}
