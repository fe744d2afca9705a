import { skipSuite } from '@bulkhead/testing';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium, newPage, screenshot, signIn, startServe, type ServeHandle, gqlData, expectAccessible } from '../testing/e2e-harness';

/*
 * The overview end to end (issue 16), against the compiled `bulkhead serve` in chromium:
 * open findings by severity from the counters; the open-findings trend (two earlier days as
 * the folder froze them, written into the daily rows, and today as serve's own folder records
 * it) as a chart and a table of the same numbers; the count of workloads running an unsigned
 * image (a workload stored where the cluster scan stores it) and its list behind a shareable
 * URL; team scoping; axe-core clean in both themes.
 */
jest.setTimeout(300_000);

const DAY_MS = 86_400_000;
const utcDay = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

const missing = chromiumMissing();
if (missing) skipSuite('console overview end to end', missing);
else
  describe('console overview: trend, unsigned images running (bulkhead serve + chromium)', () => {
    let serve: ServeHandle;
    let browser: Browser;
    let viewer: string;
    let blue: string;
    const [twoDaysAgo, yesterday, today] = [utcDay(-2), utcDay(-1), utcDay(0)];

    beforeAll(async () => {
      serve = await startServe('overview_e2e', {});
      [viewer, blue] = await Promise.all([serve.token('viewer'), serve.token('viewer', 'blue')]);
      const ds = serve.db.dataSource;
      // History: the trend began two days ago; those days' end values, as the folder froze them.
      await ds.query(`UPDATE finding_open_daily_since SET day = $1::date`, [twoDaysAgo]);
      await ds.query(
        `INSERT INTO finding_open_daily (team, kind, severity, day, open) VALUES
           ('default', 'scanner', 'CRITICAL', $1::date, 1), ('default', 'scanner', 'HIGH', $1::date, 6),
           ('default', 'scanner', 'CRITICAL', $2::date, 2), ('default', 'scanner', 'HIGH', $2::date, 4)`,
        [twoDaysAgo, yesterday],
      );
      // Today: the findings open now, written where the scanner's results go; serve folds them.
      await ds.query(
        `INSERT INTO finding (team, kind, severity, rule_id, title, target, fingerprint, status, producer, scope)
         SELECT 'default', 'scanner', v.severity, 'CVE-' || v.severity || i, 'CVE-' || v.severity || i, 'sha256:${'e'.repeat(64)}', v.severity || i, 'OPEN', 'scanner/scan-image', 's'
           FROM (VALUES ('CRITICAL', 3), ('HIGH', 2)) AS v(severity, n), generate_series(1, v.n) AS i`,
      );
      // A Deployment running an image the signer has no signature for, and one whose container has not started (no digest: unknown, not counted).
      for (const [uid, name, digest] of [
        ['uid-web', 'web', `sha256:${'a'.repeat(64)}`],
        ['uid-idle', 'idle', null],
      ] as const) {
        await ds.query(
          `INSERT INTO cluster_workload (team, cluster, uid, kind, api_version, namespace, name, root_kind, root_name, root_uid, target, generation)
           VALUES ('default', 'prod', $1, 'Deployment', 'apps/v1', 'shop', $2, 'Deployment', $2, $1, 'Deployment/shop/' || $2, 1)`,
          [uid, name],
        );
        await ds.query(
          `INSERT INTO cluster_workload_image (team, cluster, workload_uid, container_type, container, image, digest)
           VALUES ('default', 'prod', $1, 'container', 'app', 'registry.example/shop/' || $2 || ':1.0', $3)`,
          [uid, name, digest],
        );
      }
      for (let i = 0; ; i++) {
        const { findingTrend } = await gqlData<{ findingTrend: { open: number }[] }>(serve.url, viewer, '{ findingTrend(days: 1, filter: { severities: [CRITICAL, HIGH] }) { open } }');
        if (findingTrend.map((p) => p.open).join() === '3,2') break;
        if (i > 100) throw new Error(`today's trend was not folded: ${JSON.stringify(findingTrend)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const { workloads } = await gqlData<{ workloads: { totalCount: number } }>(serve.url, viewer, '{ workloads(filter: { signed: false }) { totalCount } }');
      expect(workloads.totalCount).toBe(1);
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
    });

    for (const colorScheme of ['light', 'dark'] as const) {
      it(`shows the counts, the trend chart with its numbers, and the unsigned workloads (${colorScheme})`, async () => {
        const { page, problems, context } = await newPage(browser, { colorScheme });
        await signIn(page, serve.url, viewer);
        await page.getByTestId('trend-chart').waitFor();
        expect(await page.getByTestId('open-critical').textContent()).toBe('3');
        expect(await page.getByTestId('open-high').textContent()).toBe('2');
        expect(await page.getByTestId('open-medium').textContent()).toBe('0');
        // The table holds every known day (the 27 unknown ones of the 30 are left out, and said so).
        const rows = await page.getByTestId('trend-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
        expect(rows).toEqual([
          [twoDaysAgo, '1', '6', '0', '0'],
          [yesterday, '2', '4', '0', '0'],
          [today, '3', '2', '0', '0'],
        ]);
        await page.getByText(`The trend is recorded from ${twoDaysAgo} on`).waitFor();
        // The chart: one line per severity through three points, named and described for screen readers.
        const chart = page.getByRole('img', { name: 'Open findings per day by severity' });
        expect(await chart.locator('polyline').count()).toBe(4);
        expect(await chart.locator('g[data-severity="CRITICAL"] circle').count()).toBe(3);
        expect(await chart.locator('desc').textContent()).toContain(`open on ${today}: CRITICAL 3, HIGH 2, MEDIUM 0, LOW 0`);
        // The highest point (6) is at the top of the chart, the lowest CRITICAL (1) lower down.
        const ys = await chart.locator('g[data-severity="HIGH"] circle').evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('cy'))));
        expect(ys[0]).toBeLessThan(ys[1] as number);
        expect(await page.getByTestId('unsigned-running').textContent()).toBe('1 workload');
        expect(await page.getByTestId('tasks-queued').textContent()).toBe('0 queued');
        expect(await page.getByTestId('oldest-queued').count()).toBe(0);
        await page.getByTestId('trend-table').locator('xpath=ancestor::details').locator('summary').click();
        await expectAccessible(page, problems, `overview (${colorScheme})`);
        await screenshot(page, `overview-trend-${colorScheme}`);

        // The card opens the list in a shareable URL; a reload keeps it.
        await page.getByTestId('unsigned-running').click();
        await page.waitForURL(/\?list=unsigned-running$/);
        await page.reload();
        const listed = page.getByTestId('unsigned-running-list').locator('tbody tr');
        await listed.first().waitFor();
        expect(await listed.count()).toBe(1);
        expect(await listed.first().textContent()).toContain('Deployment/web');
        expect(await listed.first().textContent()).toContain('registry.example/shop/web:1.0');
        await expectAccessible(page, problems, `unsigned running list (${colorScheme})`);
        // Images at risk come from the per-image counters: the seeded image, whose artifact was never stored.
        await page.goto(`${serve.url}/?list=at-risk`);
        const atRisk = page.getByTestId('at-risk-list').locator('tbody tr');
        await atRisk.first().waitFor();
        expect(await atRisk.count()).toBe(1);
        expect(await atRisk.first().textContent()).toContain(`sha256:${'e'.repeat(12)}`);
        expect(await atRisk.first().textContent()).toContain('5');
        expect(await page.getByTestId('at-risk').textContent()).toBe('1 image');
        await expectAccessible(page, problems, `images at risk list (${colorScheme})`);
        await page.goto(`${serve.url}/?list=unsigned-at-risk`);
        await page.getByTestId('unsigned-at-risk-list').waitFor();
        await expectAccessible(page, problems, `unsigned images at risk list (${colorScheme})`);
        await context.close();
      });
    }

    it('shows another team only its own numbers', async () => {
      const { page, context } = await newPage(browser);
      await signIn(page, serve.url, blue);
      await page.getByTestId('trend-chart').waitFor();
      expect(await page.getByTestId('open-critical').textContent()).toBe('0');
      expect(await page.getByTestId('unsigned-running').textContent()).toBe('0 workloads');
      const cells = await page.getByTestId('trend-table').locator('tbody td').allTextContents();
      expect(cells.length).toBe(12);
      expect(cells.every((c) => c === '0')).toBe(true);
      await context.close();
    });
  });
