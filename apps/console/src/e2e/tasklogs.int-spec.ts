import { replayCluster, StandInApiServer, standInKubeconfig } from '@bulkhead/plugin-benchmark/testing';
import { skipSuite, testImages } from '@bulkhead/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium, newPage, screenshot, signIn, startServe, type ServeHandle, gqlData, waitForTask, expectAccessible } from '../testing/e2e-harness';

/*
 * Task logs, cancel and retry in the console end to end (issue 16): a real `bulkhead serve`
 * (compiled: API + worker, its own schema and Redis prefix) and Debian's chromium. The log of a
 * real scan (the tiny image, scanned where no advisory data was imported, logs a warning), its
 * level filter and keyboard access; a long-running task (watch-cluster against the HTTPS stand-in
 * kube-apiserver, one namespace forbidden: the watch logs that its inventory is partial) whose
 * log is followed while it runs, then cancelled and retried from the task view. axe-core finds
 * no violation in either theme.
 */
jest.setTimeout(300_000);

const logRegion = (page: Page) => page.getByRole('log', { name: 'Task log lines' });
const logLine = (page: Page, text: string) => logRegion(page).getByRole('listitem').filter({ hasText: text });

const missing = chromiumMissing();
if (missing) skipSuite('task logs in the console end to end', missing);
else
  describe('task logs, cancel and retry in the console (bulkhead serve + chromium)', () => {
    let serve: ServeHandle;
    let browser: Browser;
    let cluster: StandInApiServer;
    let work: string;
    let kubeconfig: string;
    let operator: string;
    let viewer: string;
    const images = testImages();

    beforeAll(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'bh-tasklogs-e2e-'));
      cluster = await new StandInApiServer({ forbiddenNamespaces: ['app-2'], bookmarkMs: 200 }).start();
      replayCluster(cluster, { namespaces: 3, deployments: 1, podsPerDeployment: 1 });
      kubeconfig = path.join(work, 'kubeconfig');
      await writeFile(kubeconfig, standInKubeconfig(cluster, { token: 'valid-token' }), { mode: 0o600 });
      serve = await startServe('tasklogs_e2e', { BULKHEAD_ALLOWED_PATHS: [work, path.dirname(images.tinyOciLayout)].join(',') });
      [operator, viewer] = await Promise.all([serve.token('operator'), serve.token('viewer')]);
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      await cluster?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it("shows a scan's log with levels and fields, filters it by level, and lets the keyboard reach it", async () => {
      const { scanImage } = await gqlData<{ scanImage: { id: string } }>(serve.url, operator, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${images.tinyOciLayout}:${images.tinyOciRef}` });
      expect(await waitForTask(serve.url, operator, scanImage.id)).toBe('SUCCEEDED');
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, problems, context } = await newPage(browser, { colorScheme });
        await signIn(page, serve.url, viewer);
        await page.goto(`${serve.url}/tasks/${scanImage.id}`);
        await logLine(page, 'vulnerabilities not checked: no advisory data').waitFor();
        await expect(logLine(page, 'task started (attempt 1)').count()).resolves.toBe(1);
        await expect(logLine(page, 'vulnerabilities not checked').getByText('WARN', { exact: true }).count()).resolves.toBe(1);
        await expectAccessible(page, problems, `task log (${colorScheme})`);
        if (colorScheme === 'light') {
          // Keyboard: the log region is focusable (it scrolls), the level filter is a labelled select.
          await logRegion(page).focus();
          expect(await page.evaluate('document.activeElement.getAttribute("aria-label")')).toBe('Task log lines');
          await page.getByLabel('Level').selectOption('WARN');
          await page.getByTestId('task-log-count').filter({ hasText: /^\d+ of \d+ lines$/ }).waitFor();
          await logLine(page, 'vulnerabilities not checked').waitFor();
          await expect(logLine(page, 'task started').count()).resolves.toBe(0);
          expect(await logRegion(page).getByRole('listitem').evaluateAll((items) => items.map((item) => item.getAttribute('data-level')))).toEqual(['WARN']);
          await expectAccessible(page, problems, 'task log filtered');
        }
        await context.close();
      }
    });

    it('follows the log of a long-running task, cancels it from the task view, and retries it', async () => {
      const { submitTask } = await gqlData<{ submitTask: { id: string } }>(serve.url, operator, 'mutation($input: JSON!) { submitTask(kind: BENCHMARK, type: "watch-cluster", input: $input) { id } }', {
        input: { cluster: 'e2e', kubeconfig },
      });
      const { page, problems, context } = await newPage(browser, { colorScheme: 'dark' });
      await signIn(page, serve.url, operator);
      // Opened before the task logs anything: the line arrives while the page follows the task.
      await page.goto(`${serve.url}/tasks/${submitTask.id}`);
      await page.getByTestId('task-status').filter({ hasText: 'RUNNING' }).waitFor({ timeout: 60_000 });
      await logLine(page, 'inventory is partial').first().waitFor({ timeout: 30_000 });
      await expect(page.getByLabel('Follow new lines').isChecked()).resolves.toBe(true);
      await expectAccessible(page, problems, 'running task log (dark)');
      await logRegion(page).scrollIntoViewIfNeeded();
      await screenshot(page, 'task-log');
      // Each stored line once, in the order the API gives (the panel appends only lines after its cursor).
      const { task: stored } = await gqlData<{ task: { logs: { edges: { node: { message: string; fields: unknown } }[] } } }>(serve.url, operator, 'query($id: ID!) { task(id: $id) { logs(first: 500) { edges { node { message fields } } } } }', { id: submitTask.id });
      const shown = await logRegion(page).getByRole('listitem').evaluateAll((items) => items.map((item) => item.querySelector('.log-message')?.textContent ?? ''));
      expect(shown).toEqual(stored.logs.edges.slice(0, shown.length).map((edge) => edge.node.message));
      expect(stored.logs.edges[0]?.node.message).toBe('task started (attempt 1)');

      await page.getByRole('button', { name: 'Cancel task' }).click();
      await page.getByTestId('task-status').filter({ hasText: 'CANCELLED' }).waitFor();
      expect(await waitForTask(serve.url, operator, submitTask.id)).toBe('CANCELLED');
      // The worker's line about the cancellation, found by the panel's last look after the end.
      await logLine(page, 'task cancelled: stopped').waitFor({ timeout: 15_000 });
      await expect(page.getByLabel('Follow new lines').count()).resolves.toBe(0);

      await page.getByRole('button', { name: 'Retry task' }).click();
      await page.waitForURL((url) => /\/tasks\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(submitTask.id));
      const retried = page.url().split('/').pop() ?? '';
      expect(await waitForTask(serve.url, operator, retried, ['RUNNING'])).toBe('RUNNING');
      const { task } = await gqlData<{ task: { type: string; input: { cluster: string } } }>(serve.url, operator, 'query($id: ID!) { task(id: $id) { type input } }', { id: retried });
      expect(task).toMatchObject({ type: 'watch-cluster', input: { cluster: 'e2e' } });
      await page.getByRole('button', { name: 'Cancel task' }).click();
      expect(await waitForTask(serve.url, operator, retried)).toBe('CANCELLED');
      expect(problems).toEqual([]);
      await context.close();
    });
  });
