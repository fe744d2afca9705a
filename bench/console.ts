// Web console: bundle sizes and first-load time over loopback: `npm run bench -- console [loads]`.
//
// 1. Every file of the console build (dist/apps/console) with its gzip size (as the server sends
//    it, level 9), and the JavaScript of the first view: what chromium actually fetched when it
//    opened the overview (script resources' encoded bytes). Target: <= 300 KB compressed.
// 2. First load: a new browser context (empty cache) opens `/` as a signed-in user (the token put
//    in sessionStorage before the page runs, as after a sign-in) until the overview shows its
//    figures (every GraphQL answer in), `loads` times (default 15). Baseline, same run, alternating:
//    a static hello page with one script served by a second API through the same static handler
//    (same middlewares, same compression). Target: <= 1 s. Both APIs are real (startApi), on a
//    scratch schema; chromium is Debian's (/usr/bin/chromium) driven by playwright-core.
import { startApi, type ApiHandle } from '@bulkhead/api';
import { createTestToken, silentLogger } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { createTestDatabase } from '@bulkhead/persistence/testing';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { repoRoot } from '@bulkhead/testing';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { median, printTable } from './lib/measure';

const LOADS = Number(process.argv[2] ?? 15);
const TARGET_FIRST_VIEW_JS_GZIP = 300 * 1024;
const TARGET_FIRST_LOAD_MS = 1_000;
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const CHROMIUM = process.env['BULKHEAD_CHROMIUM'] ?? '/usr/bin/chromium';
const BUILD = path.join(repoRoot, 'dist', 'apps', 'console');

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const p = (values: readonly number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;

function bundleTable(): void {
  const rows: string[][] = [];
  let totalRaw = 0;
  let totalGzip = 0;
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      else {
        const body = readFileSync(path.join(dir, entry.name));
        const gz = gzipSync(body, { level: 9 }).length;
        totalRaw += body.length;
        totalGzip += gz;
        rows.push([`${prefix}${entry.name}`, kb(body.length), kb(gz)]);
      }
    }
  };
  walk(BUILD, '');
  rows.sort((a, b) => parseFloat(b[2] ?? '0') - parseFloat(a[2] ?? '0'));
  rows.push(['(all files)', kb(totalRaw), kb(totalGzip)]);
  console.log('\nconsole build (dist/apps/console), by gzip size:');
  printTable(['file', 'raw', 'gzip'], rows);
}

async function main(): Promise<void> {
  if (!existsSync(path.join(BUILD, 'index.html'))) throw new Error(`no console build in ${BUILD}: npm run build`);
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM} (apt-get install chromium, or BULKHEAD_CHROMIUM)`);
  bundleTable();

  // The baseline site: a hello page and one small script, served by the same static handler.
  const hello = mkdtempSync(path.join(tmpdir(), 'bh-bench-hello-'));
  mkdirSync(path.join(hello, 'assets'));
  writeFileSync(path.join(hello, 'index.html'), '<!doctype html><html lang="en"><head><title>hello</title><script type="module" src="/assets/hello-0000.js"></script></head><body><h1 id="h">…</h1></body></html>');
  writeFileSync(path.join(hello, 'assets', 'hello-0000.js'), "document.getElementById('h').textContent = 'Hello';\n");

  const db = await createTestDatabase('bench_console');
  const plugins = builtinPluginPackages();
  const registry = registryOf(plugins);
  const apis: ApiHandle[] = [];
  let browser: Browser | undefined;
  try {
    const start = (dir: string) => startApi({ registry, plugins, env: { ...process.env, DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, BULKHEAD_CONSOLE_DIR: dir, BULKHEAD_RATE_LIMIT: '100000' }, dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
    const consoleApi = await start(BUILD);
    apis.push(consoleApi);
    const helloApi = await start(hello);
    apis.push(helloApi);
    const token = (await createTestToken(db.dataSource, 'viewer')).secret;
    const chrome = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    browser = chrome;

    const loadConsole = async (): Promise<{ ms: number; scriptBytes: number; scripts: string[] }> => {
      const context = await chrome.newContext();
      await context.addInitScript((secret: string) => sessionStorage.setItem('bulkhead.token', secret), token);
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(`${consoleApi.url}/`);
      await page.getByTestId('open-critical').waitFor();
      const ms = performance.now() - t0;
      // A string, run in the page as written (the page's Resource Timing, not Node's performance).
      const scripts = (await page.evaluate(
        "performance.getEntriesByType('resource').filter((r) => r.name.endsWith('.js')).map((r) => ({ name: r.name, bytes: r.encodedBodySize }))",
      )) as { name: string; bytes: number }[];
      await context.close();
      return { ms, scriptBytes: scripts.reduce((sum, s) => sum + s.bytes, 0), scripts: scripts.map((s) => `${new URL(s.name).pathname} ${kb(s.bytes)}`) };
    };
    const loadHello = async (): Promise<number> => {
      const context = await chrome.newContext();
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(`${helloApi.url}/`);
      await page.getByText('Hello', { exact: true }).waitFor();
      const ms = performance.now() - t0;
      await context.close();
      return ms;
    };

    // Warm-up (the servers' first requests, chromium's first context), not counted.
    const first = await loadConsole();
    await loadHello();
    const consoleMs: number[] = [];
    const helloMs: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      consoleMs.push((await loadConsole()).ms);
      helloMs.push(await loadHello());
    }
    console.log('\nfirst view (overview), JavaScript fetched by chromium (compressed, as sent):');
    for (const line of first.scripts) console.log(`  ${line}`);
    printTable(
      ['measure', 'console', 'baseline (hello page)', 'ratio', 'target', 'met'],
      [
        ['first-view JS (gzip)', kb(first.scriptBytes), '', '', `<= ${kb(TARGET_FIRST_VIEW_JS_GZIP)}`, first.scriptBytes <= TARGET_FIRST_VIEW_JS_GZIP ? 'yes' : 'NO'],
        ['first load, median', `${median(consoleMs).toFixed(0)} ms`, `${median(helloMs).toFixed(0)} ms`, `${(median(consoleMs) / median(helloMs)).toFixed(2)}x`, `<= ${TARGET_FIRST_LOAD_MS} ms`, median(consoleMs) <= TARGET_FIRST_LOAD_MS ? 'yes' : 'NO'],
        ['first load, p95', `${p(consoleMs, 0.95).toFixed(0)} ms`, `${p(helloMs, 0.95).toFixed(0)} ms`, `${(p(consoleMs, 0.95) / p(helloMs, 0.95)).toFixed(2)}x`, `<= ${TARGET_FIRST_LOAD_MS} ms`, p(consoleMs, 0.95) <= TARGET_FIRST_LOAD_MS ? 'yes' : 'NO'],
      ],
    );
    console.log(`\n${LOADS} loads each, alternating; ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (the machine is shared)`);
  } finally {
    await browser?.close();
    for (const api of apis) await api.close();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
    await db.drop();
    rmSync(hello, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
