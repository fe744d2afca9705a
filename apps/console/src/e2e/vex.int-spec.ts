import { describeWithMinbase, skipSuite, testImages } from '@bulkhead/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium, newPage, screenshot, signIn, startServe, type ServeHandle, gql, waitForTask, expectAccessible } from '../testing/e2e-harness';

/*
 * Suppress with a reason and an expiry, as a VEX statement (issue 16), in the console: a real
 * `bulkhead serve` and chromium. An operator suppresses a vulnerability through the dialog
 * (reason, justification, expiry; Escape closes it, an empty reason is refused), sees it leave
 * the open count, downloads the image's OpenVEX document, sees the reason and expiry in the
 * findings view and reopens it. axe-core finds nothing on these views, dialog open, in both
 * themes; a viewer gets none of the controls.
 */
jest.setTimeout(300_000);

/** OSV records for packages of the minbase image (Debian 12). */
const ADVISORIES = [
  { id: 'DEBIAN-CVE-2099-2001', aliases: ['CVE-2099-2001'], pkg: 'bash', urgency: 'high' },
  { id: 'DEBIAN-CVE-2099-2002', aliases: ['CVE-2099-2002'], pkg: 'coreutils', urgency: 'medium' },
].map((a) => ({
  schema_version: '1.6.0',
  id: a.id,
  aliases: a.aliases,
  modified: '2099-01-01T00:00:00Z',
  summary: `${a.aliases[0]} in ${a.pkg}`,
  affected: [{ package: { ecosystem: 'Debian:12', name: a.pkg }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], database_specific: { urgency: a.urgency } }],
}));

const missing = chromiumMissing();
if (missing) skipSuite('console suppression and VEX end to end', missing);
else
  describeWithMinbase('console: suppress with a reason and an expiry, download VEX, reopen (bulkhead serve + chromium)', () => {
    let serve: ServeHandle;
    let browser: Browser;
    let work: string;
    let operator: string;
    let viewer: string;
    const images = testImages();
    const imagePage = () => `${serve.url}/images/${encodeURIComponent(images.minbaseConfigDigest)}`;

    beforeAll(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'bh-console-vex-'));
      const advisories = path.join(work, 'debian-12.jsonl');
      await writeFile(advisories, ADVISORIES.map((a) => JSON.stringify(a)).join('\n') + '\n');
      serve = await startServe('console_vex', { BULKHEAD_ALLOWED_PATHS: [work, path.dirname(images.minbaseOciLayout)].join(',') });
      const admin = await serve.token('admin');
      [operator, viewer] = await Promise.all([serve.token('operator'), serve.token('viewer')]);
      const imported = await gql<{ importAdvisories: { id: string } }>(serve.url, admin, 'mutation($p: [String!]!) { importAdvisories(paths: $p) { id } }', { p: [advisories] });
      expect(await waitForTask(serve.url, admin, imported.data?.importAdvisories.id ?? '')).toBe('SUCCEEDED');
      const scanned = await gql<{ scanImage: { id: string } }>(serve.url, admin, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}` });
      expect(await waitForTask(serve.url, admin, scanned.data?.scanImage.id ?? '')).toBe('SUCCEEDED');
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('an operator suppresses a vulnerability with a reason, a justification and an expiry; it leaves the open count; the VEX download holds it; reopening brings it back', async () => {
      const { page, problems, context } = await newPage(browser);
      await signIn(page, serve.url, operator);
      await page.goto(imagePage());
      await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor();
      expect(await page.getByTestId('open-count').textContent()).toBe('2');
      // No suppression yet: no VEX to download.
      expect(await page.getByRole('button', { name: /Download VEX/ }).count()).toBe(0);

      // The dialog: labelled, focus inside, Escape closes it and changes nothing.
      await page.getByRole('button', { name: 'Suppress CVE-2099-2002' }).click();
      const dialog = page.getByRole('dialog', { name: 'Suppress CVE-2099-2002' });
      await dialog.waitFor();
      expect(await page.evaluate('document.activeElement && document.activeElement.closest("dialog") !== null')).toBe(true);
      await expectAccessible(page, problems, 'suppress dialog');
      await screenshot(page, 'suppress-dialog');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      expect(await page.getByTestId('open-count').textContent()).toBe('2');

      // An empty reason is refused by the form itself; then a full suppression.
      await page.getByRole('button', { name: 'Suppress CVE-2099-2002' }).click();
      await dialog.getByRole('button', { name: 'Confirm suppression' }).click();
      expect(await dialog.isVisible()).toBe(true);
      expect(await dialog.getByLabel('Reason').evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).toBe(true);
      const reason = 'coreutils is only used at build time; no shell in the running container';
      await dialog.getByLabel('Reason').fill(reason);
      await dialog.getByLabel('Justification').selectOption('VULNERABLE_CODE_NOT_IN_EXECUTE_PATH');
      const until = new Date(Date.now() + 30 * 86_400_000);
      const day = `${until.getFullYear()}-${String(until.getMonth() + 1).padStart(2, '0')}-${String(until.getDate()).padStart(2, '0')}`;
      await dialog.getByLabel('Expires on').fill(day);
      await dialog.getByRole('button', { name: 'Confirm suppression' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByTestId('open-count').filter({ hasText: /^1$/ }).waitFor();
      expect(await page.getByTestId('vulnerability').count()).toBe(1);

      // The image's OpenVEX document, downloaded.
      const downloadButton = page.getByRole('button', { name: 'Download VEX (OpenVEX, 1 suppressed)' });
      const [download] = await Promise.all([page.waitForEvent('download'), downloadButton.click()]);
      const document = JSON.parse(await readFile((await download.path()) ?? '', 'utf8')) as { '@context': string; statements: { vulnerability: { name: string }; status: string; justification: string; impact_statement: string; products: { subcomponents: { '@id': string }[] }[] }[] };
      expect(document['@context']).toBe('https://openvex.dev/ns/v0.2.0');
      expect(document.statements).toHaveLength(1);
      expect(document.statements[0]).toMatchObject({ vulnerability: { name: 'CVE-2099-2002' }, status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: reason });
      expect(document.statements[0]?.products[0]?.subcomponents[0]?.['@id']).toMatch(/^pkg:deb\/debian\/coreutils@/);
      await expectAccessible(page, problems, 'image with a suppression');
      await context.close();

      // Dark theme: the findings view shows why and until when, and reopens it.
      const dark = await newPage(browser, { colorScheme: 'dark' });
      await signIn(dark.page, serve.url, operator);
      await dark.page.goto(`${serve.url}/findings?status=SUPPRESSED`);
      await dark.page.getByTestId('findings-total').filter({ hasText: '1 findings' }).waitFor();
      const note = await dark.page.getByTestId('suppression').textContent();
      expect(note).toContain(reason);
      expect(note).toContain('Vulnerable code not in execute path');
      // The expiry is the start of the chosen day in the browser's (this machine's) time zone, shown in UTC.
      expect(note).toContain(`until ${new Date(`${day}T00:00:00`).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`);
      await expectAccessible(dark.page, dark.problems, 'suppressed findings (dark)');
      await screenshot(dark.page, 'findings-suppressed-dark');
      // The dialog in the dark theme too.
      await dark.page.goto(`${serve.url}/findings?status=OPEN&kind=SCANNER`);
      await dark.page.getByRole('button', { name: /^Suppress (DEBIAN-)?CVE-2099-2001$/ }).click();
      await dark.page.getByRole('dialog', { name: /^Suppress (DEBIAN-)?CVE-2099-2001$/ }).waitFor();
      await expectAccessible(dark.page, dark.problems, 'suppress dialog (dark)');
      await dark.page.getByRole('button', { name: 'Cancel' }).click();
      await dark.page.getByRole('dialog').waitFor({ state: 'hidden' });

      await dark.page.goto(`${serve.url}/findings?status=SUPPRESSED`);
      await dark.page.getByRole('button', { name: /^Reopen (DEBIAN-)?CVE-2099-2002$/ }).click();
      await dark.page.getByTestId('findings-total').filter({ hasText: '0 findings' }).waitFor();
      await dark.page.goto(imagePage());
      await dark.page.getByTestId('open-count').filter({ hasText: /^2$/ }).waitFor();
      expect(await dark.page.getByRole('button', { name: /Download VEX/ }).count()).toBe(0);
      await dark.context.close();
    });

    it('a viewer sees suppressions but no suppress or reopen control', async () => {
      const { data } = await gql<{ findings: { edges: { node: { id: string } }[] } }>(serve.url, operator, '{ findings(first: 1, filter: { status: OPEN, kind: SCANNER }) { edges { node { id } } } }');
      const id = data?.findings.edges[0]?.node.id ?? '';
      const suppressed = await gql(serve.url, operator, 'mutation($id: ID!) { suppressFinding(id: $id, reason: "accepted risk") { id } }', { id });
      expect(suppressed.errors).toBeUndefined();
      const { page, problems, context } = await newPage(browser);
      await signIn(page, serve.url, viewer);
      await page.goto(`${serve.url}/findings?status=SUPPRESSED`);
      await page.getByTestId('findings-total').filter({ hasText: '1 findings' }).waitFor();
      expect(await page.getByTestId('suppression').textContent()).toContain('accepted risk');
      expect(await page.getByRole('button', { name: /Suppress|Reopen/ }).count()).toBe(0);
      await page.goto(imagePage());
      await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor();
      expect(await page.getByRole('button', { name: /Suppress|Reopen/ }).count()).toBe(0);
      expect(await page.getByRole('dialog').count()).toBe(0);
      await expectAccessible(page, problems, 'viewer image');
      await context.close();
    });
  });
