import { createTestToken } from '@bulkhead/api/testing';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { repoRoot } from '@bulkhead/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (CI installs the package with apt-get). */
export const CHROMIUM = process.env['BULKHEAD_CHROMIUM'] ?? '/usr/bin/chromium';
const BIN = path.join(repoRoot, 'bin', 'bulkhead.js');
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export function chromiumMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `needs chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js')) || !existsSync(path.join(repoRoot, 'dist', 'apps', 'console', 'index.html'))) return 'needs the compiled CLI and console in dist/ (npm run build)';
  return null;
}

/** A free loopback port: the server's origin must be known before it starts (BULKHEAD_ALLOWED_ORIGINS). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServeHandle {
  url: string;
  db: TestDatabase;
  stop(): Promise<void>;
  token(role: 'viewer' | 'operator' | 'admin', team?: string): Promise<string>;
}

/** `bulkhead serve` (compiled CLI, API and worker in one process) on its own schema and Redis prefix. */
export async function startServe(label: string, env: Record<string, string>): Promise<ServeHandle> {
  const db = await createTestDatabase(label);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
    env: { ...process.env, DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, LOG_LEVEL: 'warn', BULKHEAD_ALLOWED_ORIGINS: url, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 90 s:\n${err}`)), 90_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d;
      if (err.includes('GraphQL API at')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${err}`));
    });
  });
  return {
    url,
    db,
    token: async (role, team = 'default') => (await createTestToken(db.dataSource, role, team)).secret,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      const redis = createRedis(REDIS_URL, 'producer');
      await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
      await db.drop();
    },
  };
}

/** Headless chromium, no network beyond loopback. Playwright gives every launch a new empty profile (user data dir). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records what the browser refused or failed (CSP violations, script errors). */
export async function newPage(browser: Browser, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return { context, page, problems };
}

export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('role').waitFor();
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's violations on the page as it is now. Injected through the DevTools protocol (not a
 * <script> tag, which the console's CSP would rightly refuse).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  // A string, run in the page (this file is compiled for Node, without the DOM's types).
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations.map((v) => v.id + ': ' + v.help + ' (' + v.nodes.map((n) => JSON.stringify(n.target)).join(', ') + ')'))`,
  )) as string[];
  return violations;
}

/**
 * Screenshots of the main views for the README: written to docs/screenshots with
 * BULKHEAD_WRITE_SCREENSHOTS=1 (then committed), else to tmp/screenshots so a test run leaves
 * the work tree clean.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env['BULKHEAD_WRITE_SCREENSHOTS'] === '1' ? path.join(repoRoot, 'docs', 'screenshots') : path.join(repoRoot, 'tmp', 'screenshots');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.png`), await page.screenshot({ fullPage: false }));
}

/** A GraphQL answer as the e2e suites read it. */
export interface GraphqlAnswer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** POSTs a GraphQL request with a bearer token, as any client of the API would; the answer as it came. */
export async function gql<T>(base: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphqlAnswer<T>> {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as GraphqlAnswer<T>;
}

/** gql() for set-up steps that must work: the data, or an error naming what the API said. */
export async function gqlData<T>(base: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const answer = await gql<T>(base, token, query, variables);
  if (answer.errors || !answer.data) throw new Error(`GraphQL: ${JSON.stringify(answer.errors ?? answer)}`);
  return answer.data;
}

/** Polls a task until its status is one of `wanted` (by default any final one), for up to a minute. */
export async function waitForTask(base: string, token: string, id: string, wanted: readonly string[] = ['SUCCEEDED', 'FAILED', 'CANCELLED']): Promise<string> {
  for (let i = 0; i < 240; i++) {
    const { data } = await gql<{ task: { status: string } }>(base, token, 'query($id: ID!) { task(id: $id) { status } }', { id });
    const status = data?.task.status ?? '';
    if (wanted.includes(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`task ${id} never reached ${wanted.join('/')}`);
}

/**
 * The view has rendered (views load lazily: its heading, not the loading note), axe-core finds no
 * violation in it, and the page logged no console error or failed request (`problems`).
 */
export async function expectAccessible(page: Page, problems: string[], view: string): Promise<void> {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.getByText('Loading…').first().waitFor({ state: 'detached' });
  expect([view, await axeViolations(page)]).toEqual([view, []]);
  expect([view, problems]).toEqual([view, []]);
}
