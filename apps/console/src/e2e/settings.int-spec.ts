import { testImageBuilder } from '@bulkhead/oci/testing';
import { skipSuite } from '@bulkhead/testing';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium, newPage, screenshot, signIn, startServe, type ServeHandle, gql, expectAccessible } from '../testing/e2e-harness';

/*
 * Settings (notification channels, admission trust keys) and the image page's secrets, end to
 * end: `bulkhead serve` (compiled) with an admission policy that accepts keys from the API,
 * driven in chromium. Admin creates, edits and deletes a channel (its secret never shown again)
 * and adds and removes a trust key; a viewer sees the lists without any control; the image page
 * lists a scanned image's secrets redacted. axe-core finds nothing, in both themes.
 */
jest.setTimeout(300_000);

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const random = (n: number): string => Array.from(randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join('');
const publicPem = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;

const missing = chromiumMissing();
if (missing) skipSuite('settings and image secrets end to end', missing);
else
  describe('settings and image secrets end to end (bulkhead serve + chromium)', () => {
    let serve: ServeHandle;
    let browser: Browser;
    let work: string;
    let admin: string;
    let viewer: string;
    let digest = '';
    const aws = `AKIA${random(16)}`;
    const filePem = publicPem();
    const webhookSecret = `whsec-${random(24)}`;

    beforeAll(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'bh-settings-e2e-'));
      const policy = path.join(work, 'admission.json');
      await writeFile(policy, JSON.stringify({ podSecurityLevel: 'baseline', trustedKeys: [filePem], apiTrustedKeys: true }));
      const layout = path.join(work, 'secret-image');
      await testImageBuilder.writeOciLayout(layout, [
        { ref: 'app', layers: [{ entries: [{ name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }, { name: 'app/.env', content: `REGION=eu-west-1\nDEBUG=0\nAWS_ACCESS_KEY_ID=${aws}\n` }] }] },
      ]);
      serve = await startServe('settings_e2e', {
        BULKHEAD_ALLOWED_PATHS: work,
        BULKHEAD_ADMISSION_POLICY_FILE: policy,
        BULKHEAD_NOTIFY_ALLOWED_HOSTS: 'hooks.example.com',
        // Webhook secrets are sealed at rest with it (without it a WEBHOOK secret is refused).
        BULKHEAD_NOTIFY_SECRET_KEY: randomBytes(32).toString('base64'),
        BULKHEAD_SIGNER_MASTER_KEY: randomBytes(32).toString('base64'),
      });
      [admin, viewer] = await Promise.all([serve.token('admin'), serve.token('viewer')]);
      const scan = await gql<{ scanImage: { id: string } }>(serve.url, admin, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${layout}:app` });
      expect(scan.errors).toBeUndefined();
      for (let i = 0; i < 240 && !digest; i++) {
        const { data } = await gql<{ task: { status: string; error: string | null; result: { digest?: string } | null } }>(serve.url, admin, 'query($id: ID!) { task(id: $id) { status error result } }', { id: scan.data?.scanImage.id });
        if (data?.task.status === 'SUCCEEDED') digest = data.task.result?.digest ?? '';
        else if (data?.task.status === 'FAILED') throw new Error(`scan failed: ${data.task.error ?? ''}`);
        else await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(digest).toMatch(/^sha256:/);
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('admin: creates, edits and deletes a notification channel; its webhook secret is never shown again', async () => {
      const { page, problems, context } = await newPage(browser);
      await signIn(page, serve.url, admin);
      await page.goto(`${serve.url}/settings`);
      await page.getByRole('heading', { name: 'New channel' }).waitFor();
      const form = page.getByRole('form', { name: 'New channel' });
      await form.getByLabel('Name').fill('ops-hook');
      await form.getByLabel('Kind').selectOption('WEBHOOK');
      await form.getByLabel('URL').fill('https://hooks.example.com/bulkhead');
      await form.getByLabel('Signing secret').fill(webhookSecret);
      await form.getByLabel('Failed promotion gates').check();
      await form.getByRole('button', { name: 'Create channel' }).click();
      const row = page.getByTestId('channel').filter({ hasText: 'ops-hook' });
      await row.waitFor();
      expect(await row.textContent()).toContain('stored (write-only)');
      expect(await row.textContent()).toContain('critical findings, failed gates');
      expect(await page.content()).not.toContain(webhookSecret);
      // A refused destination is the API's error, shown as is.
      await form.getByLabel('Name').fill('elsewhere');
      await form.getByLabel('URL').fill('https://evil.example.net/x');
      await form.getByRole('button', { name: 'Create channel' }).click();
      await page.getByRole('alert').filter({ hasText: 'not in the allow-list' }).waitFor();
      await expectAccessible(page, problems, 'settings (admin, channels)');
      await screenshot(page, 'settings-admin');
      // Edit: a new name, the secret kept (the field stays empty).
      await page.getByRole('button', { name: 'Edit channel ops-hook' }).click();
      const edit = page.getByRole('form', { name: 'Edit channel ops-hook' });
      expect(await edit.getByLabel('Signing secret').inputValue()).toBe('');
      await edit.getByLabel('Name').fill('ops-hook-2');
      await edit.getByRole('button', { name: 'Save channel' }).click();
      await page.getByTestId('channel').filter({ hasText: 'ops-hook-2' }).waitFor();
      expect(await page.getByTestId('channel').filter({ hasText: 'ops-hook-2' }).textContent()).toContain('stored (write-only)');
      // Delete, confirmed.
      await page.getByRole('button', { name: 'Delete channel ops-hook-2' }).click();
      await page.getByRole('button', { name: 'Confirm delete of ops-hook-2' }).click();
      await page.getByText('No channel yet.').waitFor();
      const { data } = await gql<{ notificationChannels: unknown[] }>(serve.url, admin, '{ notificationChannels { id } }');
      expect(data?.notificationChannels).toEqual([]);
      await context.close();
    });

    it('admin: adds a trust key (a bad PEM is refused, naming the problem) and removes it; file keys have no remove control', async () => {
      const { page, problems, context } = await newPage(browser, { colorScheme: 'dark' });
      await signIn(page, serve.url, admin);
      await page.goto(`${serve.url}/settings`);
      const form = page.getByRole('form', { name: /Add a trusted key/ });
      await form.waitFor();
      await form.getByLabel('Name').fill('release');
      await form.getByLabel('Public key (PEM)').fill('not a key');
      await form.getByRole('button', { name: 'Trust key' }).click();
      await page.getByRole('alert').filter({ hasText: 'publicKey: not one PEM' }).waitFor();
      const pem = publicPem();
      await form.getByLabel('Public key (PEM)').fill(pem);
      await form.getByRole('button', { name: 'Trust key' }).click();
      const keyRow = page.getByTestId('trusted-key').filter({ hasText: 'release' });
      await keyRow.waitFor();
      expect(await keyRow.textContent()).toMatch(/key:[0-9a-f]{64}/);
      const { data } = await gql<{ admissionTrustedKeys: { keys: { name: string; source: string }[] } }>(serve.url, viewer, '{ admissionTrustedKeys { keys { name source } } }');
      expect(data?.admissionTrustedKeys.keys).toEqual([
        { name: 'policy file trustedKeys[0]', source: 'FILE' },
        { name: 'release', source: 'API' },
      ]);
      expect(await page.getByTestId('trusted-key').filter({ hasText: 'policy file' }).getByRole('button').count()).toBe(0);
      await expectAccessible(page, problems, 'settings (admin, trust keys, dark)');
      await screenshot(page, 'settings-trust-keys-dark');
      await page.getByRole('button', { name: 'Remove trusted key release' }).click();
      await keyRow.waitFor({ state: 'detached' });
      await context.close();
    });

    it('viewer: sees the trust keys read-only, no channel or key controls (light and dark)', async () => {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, problems, context } = await newPage(browser, { colorScheme });
        await signIn(page, serve.url, viewer);
        await page.goto(`${serve.url}/settings`);
        await page.getByTestId('trusted-key').first().waitFor();
        await page.getByText('Notification targets are managed by operators and admins of your team.').waitFor();
        expect(await page.getByRole('button', { name: /Create channel|Trust key|Remove trusted key|Revoke/ }).count()).toBe(0);
        expect(await page.getByRole('form').count()).toBe(0);
        await expectAccessible(page, problems, `settings (viewer, ${colorScheme})`);
        await context.close();
      }
    });

    it("image page: the image's secrets apart, counted in the header, the match redacted (light and dark)", async () => {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, problems, context } = await newPage(browser, { colorScheme });
        await signIn(page, serve.url, viewer);
        await page.goto(`${serve.url}/images/${encodeURIComponent(digest)}`);
        await page.getByRole('heading', { name: 'Secrets (1 open)' }).waitFor();
        const row = page.getByTestId('secret');
        expect(await row.count()).toBe(1);
        const text = (await row.textContent()) ?? '';
        expect(text).toContain('aws-access-key-id');
        expect(text).toContain('app/.env:3');
        expect(text).toContain(`AWS_ACCESS_KEY_ID=${'*'.repeat(20)}`);
        expect(await page.content()).not.toContain(aws.slice(4));
        await expectAccessible(page, problems, `image secrets (${colorScheme})`);
        if (colorScheme === 'light') await screenshot(page, 'image-secrets');
        await context.close();
      }
    });
  });
