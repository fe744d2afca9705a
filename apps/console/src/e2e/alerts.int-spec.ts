import { skipSuite } from '@bulkhead/testing';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, expectAccessible, gqlData, launchChromium, newPage, screenshot, signIn, startServe, type ServeHandle } from '../testing/e2e-harness';

/*
 * The runtime alerts view's pod and time filters end to end (issue 16): a real `bulkhead serve`
 * (compiled: API + worker, its own schema and Redis prefix) and Debian's chromium. Alerts of two
 * pods at different ages are posted to /falco-alerts as a Falco sensor would; the view filters
 * them by pod and by time window from the URL and from its inputs, the live subscription is
 * filtered the same way, and the overview's 24 h card opens the view with since=24h. axe-core
 * finds no violation in either theme.
 */
jest.setTimeout(300_000);

const MINUTE = 60_000;

const alert = (container: string, pod: string, ageMs: number, rule = 'Terminal shell in container') => ({
  hostname: 'node-1',
  output: `Notice A shell was spawned in a container (container=${container} pod=${pod})`,
  priority: 'Notice',
  rule,
  source: 'syscall',
  tags: ['container', 'shell'],
  time: new Date(Date.now() - ageMs).toISOString(),
  output_fields: { 'container.id': container, 'k8s.ns.name': 'shop', 'k8s.pod.name': pod, 'proc.name': 'bash' },
});

/** The targets in the history table, in order (newest first). */
const historyTargets = (page: Page): Promise<string[]> =>
  page.locator('[data-testid="alerts"] tbody tr td:nth-child(4)').evaluateAll((cells) => cells.map((cell) => cell.textContent ?? ''));

/** Waits until the history table shows exactly `wanted` (the query is asynchronous after a filter change). */
async function expectHistory(page: Page, wanted: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    await page.getByTestId('alerts').waitFor();
    seen = await historyTargets(page);
    if (JSON.stringify(seen) === JSON.stringify(wanted)) return;
    await page.waitForTimeout(100);
  }
  expect({ url: page.url(), targets: seen }).toEqual({ url: page.url(), targets: wanted });
}

const missing = chromiumMissing();
if (missing) skipSuite('alerts view end to end', missing);
else
  describe('runtime alerts view: pod and time filters (bulkhead serve + chromium)', () => {
    let serve: ServeHandle;
    let browser: Browser;
    let operator: string;
    let viewer: string;

    const postAlerts = async (alerts: unknown[]): Promise<void> => {
      const response = await fetch(`${serve.url}/falco-alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` }, body: JSON.stringify(alerts) });
      expect({ status: response.status, body: await response.json() }).toMatchObject({ status: 200, body: { received: alerts.length, stored: alerts.length, rejected: 0 } });
    };

    beforeAll(async () => {
      serve = await startServe('alerts_e2e', {});
      [operator, viewer] = await Promise.all([serve.token('operator'), serve.token('viewer')]);
      browser = await launchChromium();
      // cart-1: 30 min and 3 days ago; web-2: 3 h ago.
      await postAlerts([alert('e2e-cart-new', 'cart-1', 30 * MINUTE), alert('e2e-web', 'web-2', 180 * MINUTE), alert('e2e-cart-old', 'cart-1', 3 * 24 * 60 * MINUTE)]);
      const { alerts } = await gqlData<{ alerts: { totalCount: number } }>(serve.url, viewer, '{ alerts(filter: { pod: "cart-1" }) { totalCount } }');
      expect(alerts.totalCount).toBe(2);
    });

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
    });

    it('filters by pod and time window from the URL, in both themes', async () => {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, problems, context } = await newPage(browser, { colorScheme });
        await signIn(page, serve.url, viewer);
        await page.goto(`${serve.url}/alerts?pod=cart-1`);
        await expectHistory(page, ['container:e2e-cart-new', 'container:e2e-cart-old']);
        expect(await page.getByLabel('Pod').inputValue()).toBe('cart-1');
        expect(await page.getByRole('combobox', { name: 'Time' }).inputValue()).toBe('');
        await expectAccessible(page, problems, `alerts by pod (${colorScheme})`);

        await page.goto(`${serve.url}/alerts?pod=cart-1&since=24h`);
        await expectHistory(page, ['container:e2e-cart-new']);
        expect(await page.getByRole('combobox', { name: 'Time' }).inputValue()).toBe('24h');
        await page.goto(`${serve.url}/alerts?since=7d`);
        await expectHistory(page, ['container:e2e-cart-new', 'container:e2e-web', 'container:e2e-cart-old']);
        await page.goto(`${serve.url}/alerts?since=1h`);
        await expectHistory(page, ['container:e2e-cart-new']);
        await page.goto(`${serve.url}/alerts?since=all`);
        await expectHistory(page, ['container:e2e-cart-new', 'container:e2e-web', 'container:e2e-cart-old']);
        await expectAccessible(page, problems, `alerts since (${colorScheme})`);

        // An unknown window is named, and all alerts are shown.
        await page.goto(`${serve.url}/alerts?since=2w`);
        await page.getByRole('alert').filter({ hasText: 'Unknown time window since=2w: expected 1h, 24h, 7d or all' }).waitFor();
        await expectHistory(page, ['container:e2e-cart-new', 'container:e2e-web', 'container:e2e-cart-old']);
        await expectAccessible(page, problems, `alerts unknown since (${colorScheme})`);
        if (colorScheme === 'dark') await screenshot(page, 'alerts-pod-since-dark');
        await context.close();
      }
    });

    it('filters by pod and time window from the inputs, writing them to the URL', async () => {
      const { page, problems, context } = await newPage(browser);
      await signIn(page, serve.url, viewer);
      await page.goto(`${serve.url}/alerts`);
      await expectHistory(page, ['container:e2e-cart-new', 'container:e2e-web', 'container:e2e-cart-old']);
      await page.getByLabel('Pod').fill('web-2');
      await page.getByLabel('Pod').press('Enter');
      await expectHistory(page, ['container:e2e-web']);
      expect(new URL(page.url()).searchParams.get('pod')).toBe('web-2');
      await page.getByRole('combobox', { name: 'Time' }).selectOption('1h');
      await expectHistory(page, []);
      expect(new URL(page.url()).searchParams.get('since')).toBe('1h');
      await page.getByRole('combobox', { name: 'Time' }).selectOption('24h');
      await expectHistory(page, ['container:e2e-web']);
      await page.getByLabel('Pod').fill('');
      await page.getByLabel('Pod').press('Enter');
      await expectHistory(page, ['container:e2e-cart-new', 'container:e2e-web']);
      expect([...new URL(page.url()).searchParams.keys()]).toEqual(['since']);
      await page.getByRole('combobox', { name: 'Time' }).selectOption('');
      await expectHistory(page, ['container:e2e-cart-new', 'container:e2e-web', 'container:e2e-cart-old']);
      await expectAccessible(page, problems, 'alerts filtered by inputs');
      await context.close();
    });

    it('keeps the live stream filtered by pod and window', async () => {
      const { page, problems, context } = await newPage(browser);
      await signIn(page, serve.url, viewer);
      await page.goto(`${serve.url}/alerts?pod=cart-1&since=1h`);
      await expectHistory(page, ['container:e2e-cart-new']);
      // The subscription is open once the live state line shows; posted in order: the first two are
      // filtered out (another pod; an event older than the window), the last one matches.
      await page.getByTestId('live-state').filter({ hasText: 'Live: 0 new since this page opened' }).waitFor();
      await page.waitForTimeout(500);
      await postAlerts([alert('e2e-live-web', 'web-2', 0, 'Live web'), alert('e2e-live-cart-old', 'cart-1', 2 * 60 * MINUTE, 'Live cart old')]);
      await postAlerts([alert('e2e-live-cart', 'cart-1', 0, 'Live cart')]);
      const live = page.getByTestId('live-alerts');
      await live.getByRole('cell', { name: 'Live cart', exact: true }).waitFor({ timeout: 30_000 });
      expect(await page.locator('[data-testid="live-alerts"] tbody tr td:nth-child(4)').evaluateAll((cells) => cells.map((c) => c.textContent))).toEqual(['container:e2e-live-cart']);
      await expectAccessible(page, problems, 'alerts live filtered');
      await context.close();
    });

    it("the overview's 24 h alert card opens the view with since=24h", async () => {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, problems, context } = await newPage(browser, { colorScheme });
        await signIn(page, serve.url, viewer);
        await page.goto(`${serve.url}/`);
        await page.getByTestId('alerts-24h').click();
        await page.waitForURL(/\/alerts\?since=24h$/);
        // The URL changes before the lazily loaded view replaces the overview: wait for the view.
        await page.getByRole('heading', { level: 1, name: 'Runtime alerts' }).waitFor();
        expect(await page.getByRole('combobox', { name: 'Time' }).inputValue()).toBe('24h');
        await expectAccessible(page, problems, `alerts from the overview (${colorScheme})`);
        await context.close();
      }
    });
  });
