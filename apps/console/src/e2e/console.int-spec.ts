import { describeWithMinbase, testImages } from '@bulkhead/testing';
import { skipSuite } from '@bulkhead/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium, newPage, screenshot, signIn, startServe, type ServeHandle, gql, waitForTask, expectAccessible } from '../testing/e2e-harness';

/*
 * The web console end to end: a real `bulkhead serve` (compiled CLI: API + worker, real Postgres
 * schema and Redis prefix) serving the built console, driven in Debian's chromium through
 * playwright-core. Each view is checked with axe-core (no violations) and the page must log no
 * CSP refusal or script error.
 */
jest.setTimeout(300_000);

/** OSV records for packages of the minbase image (Debian 12): one with a fix, one without. */
const ADVISORIES = [
  { id: 'DEBIAN-CVE-2099-1001', aliases: ['CVE-2099-1001'], pkg: 'bash', events: [{ introduced: '0' }, { fixed: '99.0-1' }], urgency: 'high' },
  { id: 'DEBIAN-CVE-2099-1002', aliases: ['CVE-2099-1002'], pkg: 'coreutils', events: [{ introduced: '0' }], urgency: 'medium' },
  { id: 'DEBIAN-CVE-2099-1003', aliases: ['CVE-2099-1003'], pkg: 'dpkg', events: [{ introduced: '0' }, { fixed: '99.1-1' }], urgency: 'high' },
].map((a) => ({
  schema_version: '1.6.0',
  id: a.id,
  aliases: a.aliases,
  modified: '2099-01-01T00:00:00Z',
  summary: `${a.aliases[0]} in ${a.pkg}`,
  affected: [{ package: { ecosystem: 'Debian:12', name: a.pkg }, ranges: [{ type: 'ECOSYSTEM', events: a.events }], database_specific: { urgency: a.urgency } }],
}));

const FALCO_ALERT = (rule: string) => ({
  hostname: 'node-1',
  output: `Warning ${rule} (file=/etc/shadow)`,
  priority: 'Critical',
  rule,
  source: 'syscall',
  tags: ['filesystem'],
  time: new Date().toISOString(),
  output_fields: { 'container.id': '3ad2d2e7c2f1', 'fd.name': '/etc/shadow', 'k8s.ns.name': 'shop', 'k8s.pod.name': 'cart-1' },
});

/** A link of the console's navigation (views also link to each other by similar names). */
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name, exact: true });

const missing = chromiumMissing();
if (missing) skipSuite('web console end to end', missing);
else
  describeWithMinbase('web console end to end (bulkhead serve + chromium)', () => {
    let serve: ServeHandle;
    let browser: Browser;
    let work: string;
    let admin: string;
    let operator: string;
    let viewer: string;
    let blue: string;
    const images = testImages();
    const minbaseSource = () => `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`;

    beforeAll(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'bh-console-e2e-'));
      const advisories = path.join(work, 'debian-12.jsonl');
      await writeFile(advisories, ADVISORIES.map((a) => JSON.stringify(a)).join('\n') + '\n');
      serve = await startServe('console_e2e', { BULKHEAD_ALLOWED_PATHS: [work, path.dirname(images.minbaseOciLayout), path.dirname(images.tinyOciLayout)].join(',') });
      [admin, operator, viewer, blue] = await Promise.all([serve.token('admin'), serve.token('operator'), serve.token('viewer'), serve.token('operator', 'blue')]);
      const imported = await gql<{ importAdvisories: { id: string } }>(serve.url, admin, 'mutation($p: [String!]!) { importAdvisories(paths: $p) { id } }', { p: [advisories] });
      expect(imported.errors).toBeUndefined();
      expect(await waitForTask(serve.url, admin, imported.data?.importAdvisories.id ?? '')).toBe('SUCCEEDED');
      // Team blue has an image of its own (the tiny one), which team default must never see.
      const blueScan = await gql<{ scanImage: { id: string } }>(serve.url, blue, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${images.tinyOciLayout}:${images.tinyOciRef}` });
      expect(await waitForTask(serve.url, blue, blueScan.data?.scanImage.id ?? '')).toBe('SUCCEEDED');
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('sign-in refuses a malformed token before sending it, and an unknown one after the API refused it; the token never reaches a URL or localStorage', async () => {
      const { page, problems, context } = await newPage(browser);
      await page.goto(`${serve.url}/`);
      await page.getByLabel('API token').fill('not a token; <script>alert(1)</script>');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'starts with bhk_' }).waitFor();
      await page.getByLabel('API token').fill(`bhk_${'A'.repeat(43)}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'refused this token' }).waitFor();
      await expectAccessible(page, problems, 'sign-in');
      await screenshot(page, 'sign-in');
      await signIn(page, serve.url, viewer);
      expect(page.url()).not.toContain('bhk_');
      expect(await page.evaluate('JSON.stringify(localStorage)')).not.toContain('bhk_');
      // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
      await page.keyboard.press('Enter');
      expect(await page.evaluate('document.activeElement.id')).toBe('main');
      await context.close();
    });

    it('an operator signs in, scans an image and watches its task, opens its vulnerabilities, suppresses one and sees it leave the open count', async () => {
      const { page, problems, context } = await newPage(browser);
      await signIn(page, serve.url, operator);
      expect(await page.getByTestId('who').textContent()).toContain('team default');
      // The token is in sessionStorage, never in the URL.
      expect(page.url()).not.toContain('bhk_');
      await expectAccessible(page, problems, 'overview');
      await screenshot(page, 'overview');

      await nav(page, 'Images').click();
      await page.getByLabel('Scan source').fill(minbaseSource());
      await page.getByRole('button', { name: 'Scan image' }).click();
      await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
      // Progress arrives over the taskUpdated subscription: the log fills and the status reaches SUCCEEDED.
      await page.getByTestId('task-status').filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: 180_000 });
      expect(await page.getByTestId('task-log').locator('li').count()).toBeGreaterThan(0);
      await expectAccessible(page, problems, 'task');
      await screenshot(page, 'task');

      await page.getByRole('link', { name: /oci:|sha256:/ }).first().click();
      await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor();
      const openBefore = Number(await page.getByTestId('open-count').textContent());
      expect(openBefore).toBe(3);
      const rows = page.getByTestId('vulnerability');
      expect(await rows.count()).toBe(3);
      // Fix versions are shown (bash: 99.0-1), and "no fix yet" where there is none (coreutils).
      expect(await page.getByRole('row', { name: /CVE-2099-1001/ }).textContent()).toContain('99.0-1');
      expect(await page.getByRole('row', { name: /CVE-2099-1002/ }).textContent()).toContain('no fix yet');
      await expectAccessible(page, problems, 'image');
      await screenshot(page, 'image');

      await page.getByRole('button', { name: 'Suppress CVE-2099-1002' }).click();
      // The suppress dialog asks why (vex.int-spec.ts checks the rest of it).
      await page.getByRole('dialog').getByLabel('Reason').fill('not reachable in this image');
      await page.getByRole('dialog').getByRole('button', { name: 'Confirm suppression' }).click();
      await page.getByTestId('open-count').filter({ hasText: String(openBefore - 1) }).waitFor();
      expect(await page.getByTestId('vulnerability').count()).toBe(2);
      // The shareable URL of the suppressed list shows it, with a control to reopen it.
      const digest = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
      await page.goto(`${serve.url}/images/${encodeURIComponent(digest)}?status=SUPPRESSED`);
      await page.getByRole('button', { name: 'Reopen CVE-2099-1002' }).waitFor();

      // Findings: filters live in the URL, so a reload (or a shared link) keeps them.
      await page.goto(`${serve.url}/findings?status=OPEN&severity=HIGH&kind=SCANNER`);
      await page.getByTestId('findings-total').filter({ hasText: '2 findings' }).waitFor();
      expect(await page.getByLabel('Severity').inputValue()).toBe('HIGH');
      await expectAccessible(page, problems, 'findings');
      await screenshot(page, 'findings');
      await context.close();
    });

    it('a runtime alert arrives live, and a schedule is created', async () => {
      const { page, problems, context } = await newPage(browser, { colorScheme: 'dark' });
      await signIn(page, serve.url, operator);
      await nav(page, 'Runtime alerts').click();
      await page.getByTestId('live-state').filter({ hasText: 'Live: 0 new' }).waitFor();
      // Give graphql-ws a moment to subscribe before the alert is posted.
      await page.waitForTimeout(1500);
      const posted = await fetch(`${serve.url}/falco-alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` }, body: JSON.stringify(FALCO_ALERT('Read sensitive file untrusted')) });
      expect(posted.status).toBeLessThan(300);
      await page.getByTestId('live-alerts').getByRole('cell', { name: 'Read sensitive file untrusted', exact: true }).waitFor({ timeout: 30_000 });
      await page.getByTestId('live-alerts').getByRole('button').first().click();
      expect(await page.getByLabel('The event that fired it').textContent()).toContain('/etc/shadow');
      await expectAccessible(page, problems, 'alerts (dark)');
      await screenshot(page, 'alerts-dark');

      await nav(page, 'Schedules').click();
      await page.getByLabel('Input (JSON)').fill(JSON.stringify({ source: minbaseSource() }));
      await page.getByLabel('Cron', { exact: true }).fill('0 4 * * *');
      await page.getByRole('button', { name: 'Create schedule' }).click();
      await page.getByTestId('schedule').filter({ hasText: '0 4 * * *' }).waitFor();
      // Hostile input: a bad cron is refused by the API with its message, and nothing is stored.
      await page.getByLabel('Cron', { exact: true }).fill('every day');
      await page.getByRole('button', { name: 'Create schedule' }).click();
      await page.getByRole('alert').filter({ hasText: /cron/i }).waitFor();
      expect(await page.getByTestId('schedule').count()).toBe(1);
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.getByTestId('schedule').filter({ hasText: 'paused' }).waitFor();
      await expectAccessible(page, problems, 'schedules (dark)');
      await screenshot(page, 'schedules-dark');
      await context.close();
    });

    it('a failed task can be retried from the console, as a new task', async () => {
      const { mkdir } = await import('node:fs/promises');
      const notAnImage = path.join(work, 'not-an-image');
      await mkdir(notAnImage, { recursive: true });
      const submitted = await gql<{ scanImage: { id: string } }>(serve.url, operator, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${notAnImage}` });
      const id = submitted.data?.scanImage.id ?? '';
      expect(await waitForTask(serve.url, operator, id)).toBe('FAILED');
      const { page, problems, context } = await newPage(browser);
      await signIn(page, serve.url, operator);
      await page.goto(`${serve.url}/tasks?status=FAILED`);
      await page.getByRole('link', { name: 'scan-image' }).first().click();
      await page.getByTestId('task-status').filter({ hasText: 'FAILED' }).waitFor();
      await page.getByRole('button', { name: 'Retry task' }).click();
      await page.waitForURL((url) => /\/tasks\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(id));
      await page.getByTestId('task-status').filter({ hasText: 'FAILED' }).waitFor({ timeout: 60_000 });
      await expectAccessible(page, problems, 'failed task');
      await context.close();
    });

    it('a viewer sees no mutation controls, and the same mutation sent by hand with its token is refused', async () => {
      const { page, problems, context } = await newPage(browser);
      await signIn(page, serve.url, viewer);
      expect(await page.getByTestId('role').textContent()).toBe('viewer');
      await nav(page, 'Images').click();
      await page.getByRole('link', { name: /sha256:/ }).first().click();
      await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor();
      expect(await page.getByTestId('vulnerability').count()).toBe(2);
      expect(await page.getByRole('button', { name: /Suppress|Reopen/ }).count()).toBe(0);
      await nav(page, 'Images').click();
      await page.getByLabel('Name, image id or advisory (CVE-…)').waitFor();
      expect(await page.getByLabel('Scan source').count()).toBe(0);
      await nav(page, 'Schedules').click();
      await page.getByTestId('schedule').first().waitFor();
      expect(await page.getByRole('button', { name: /Create schedule|Pause|Resume|Save cron/ }).count()).toBe(0);
      await nav(page, 'Findings').click();
      await page.getByTestId('findings-total').waitFor();
      expect(await page.getByRole('button', { name: /Suppress/ }).count()).toBe(0);
      await expectAccessible(page, problems, 'viewer findings');

      const { data } = await gql<{ findings: { edges: { node: { id: string } }[] } }>(serve.url, viewer, '{ findings(first: 1, filter: { status: OPEN }) { edges { node { id } } } }');
      const id = data?.findings.edges[0]?.node.id ?? '';
      expect(id).not.toBe('');
      const refused = await gql(serve.url, viewer, 'mutation($id: ID!) { suppressFinding(id: $id) { id status } }', { id });
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      const still = await gql<{ findings: { totalCount: number } }>(serve.url, viewer, '{ findings(first: 1, filter: { status: SUPPRESSED }) { totalCount } }');
      expect(still.data?.findings.totalCount).toBe(1);
      await context.close();
    });

    it("team default's console never shows team blue's images, not even by a direct link", async () => {
      const { page, problems, context } = await newPage(browser);
      await signIn(page, serve.url, admin);
      await page.goto(`${serve.url}/images`);
      await page.getByRole('table').waitFor();
      const listed = await page.getByRole('table').textContent();
      expect(listed).not.toContain(images.tinyConfigDigest.slice(7, 19));
      expect(listed).toContain(images.minbaseConfigDigest.slice(7, 19));
      // By package (exact name): minbase holds bash; blue's tiny image is not listed either way.
      await page.goto(`${serve.url}/images?package=bash`);
      await page.getByRole('table').getByText(images.minbaseConfigDigest.slice(0, 19)).waitFor();
      await page.goto(`${serve.url}/images?q=${encodeURIComponent(images.tinyConfigDigest)}`);
      await page.getByText('No image matches.').waitFor();
      await page.goto(`${serve.url}/images/${encodeURIComponent(images.tinyConfigDigest)}`);
      await page.getByRole('heading', { name: /No image/ }).waitFor();
      // And blue's own console shows only blue's.
      const blueView = await newPage(browser);
      await signIn(blueView.page, serve.url, blue);
      await blueView.page.goto(`${serve.url}/images`);
      await blueView.page.getByRole('table').waitFor();
      const blueListed = await blueView.page.getByRole('table').textContent();
      expect(blueListed).toContain(images.tinyConfigDigest.slice(7, 19));
      expect(blueListed).not.toContain(images.minbaseConfigDigest.slice(7, 19));
      await blueView.context.close();

      for (const [route, name] of [
        ['/tasks', 'tasks'],
        ['/benchmarks', 'benchmarks'],
        ['/settings', 'settings'],
        ['/results', 'results'],
      ] as const) {
        await page.goto(`${serve.url}${route}`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await page.waitForLoadState('networkidle');
        await expectAccessible(page, problems, name);
        await screenshot(page, name);
      }
      await context.close();
    });
  });
