import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { startHttpReceiver, waitFor as waitForValue, type HttpReceiver } from '@bulkhead/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { testImageBuilder } from '@bulkhead/oci/testing';

/*
 * A failed promotion gate notifies (issue 11): the real API and worker in this process, real
 * Postgres and Redis, the signer's promote-image flow with its real children (scan-image,
 * image-config). The image holds a GitHub token, so the gate fails (`allowSecrets: false`);
 * the signer raises GATE_FAILED through TaskPlatform.notify, the worker announces it on the installation's Redis channel, the
 * API's dispatcher queues a delivery per channel whose rule `onFailedGates` selects it, and a
 * local HTTP server receives a signed webhook and a Slack-compatible message.
 */
jest.setTimeout(180_000);

const SECRET = randomBytes(24).toString('hex');
const NOTIFY_KEY = randomBytes(32).toString('base64');

// What a receiver runs (documented in the README): HMAC-SHA256 over `<timestamp>.<body>`.
const SIGNATURE_HEADER = 'x-bulkhead-signature';
const TIMESTAMP_HEADER = 'x-bulkhead-timestamp';
function verifyWebhookSignature(secret: string, timestamp: number, body: string, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A gate runs a scan and a benchmark first: wait up to a minute. */
const waitFor = <T>(what: string, read: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, read, 60_000, 100);

describe('failed promotion gate → notification channels', () => {
  let platform: TestPlatform;
  let receiver: HttpReceiver;
  let work: string;
  let layout: string;

  async function createChannel(name: string, kind: 'WEBHOOK' | 'SLACK', url: string, onFailedGates: boolean, token?: string): Promise<string> {
    const { createNotificationChannel } = await graphqlData<{ createNotificationChannel: { id: string; onFailedGates: boolean } }>(
      platform.api.url,
      `mutation($name: String!, $kind: NotificationChannelKind!, $url: String!, $secret: String, $gates: Boolean) {
        createNotificationChannel(name: $name, kind: $kind, url: $url, secret: $secret, onFailedGates: $gates) { id onFailedGates } }`,
      { name, kind, url, secret: kind === 'WEBHOOK' ? SECRET : null, gates: onFailedGates },
      token ? { token } : {},
    );
    expect(createNotificationChannel.onFailedGates).toBe(onFailedGates);
    return createNotificationChannel.id;
  }

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    const { port } = receiver;
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({
      label: 'api_gate_notify',
      registry: registryOf(packages),
      plugins: packages,
      kinds: ['signer', 'scanner', 'benchmark'],
      env: { BULKHEAD_NOTIFY_ALLOWED_HOSTS: `127.0.0.1:${port}`, BULKHEAD_NOTIFY_ALLOW_PRIVATE: 'true', BULKHEAD_NOTIFY_SECRET_KEY: NOTIFY_KEY },
    });
    work = mkdtempSync(path.join(tmpdir(), 'bh-gate-notify-'));
    layout = path.join(work, 'app');
    await testImageBuilder.writeOciLayout(layout, [
      { ref: 'app', layers: [{ entries: [{ name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }, { name: 'srv/deploy.sh', content: `#!/bin/sh\nexport GITHUB_TOKEN=ghp_${'Zq8Lm2Xv5Tn9Rb4Kc7Wd1Hf6Jp3Ys0Ga8Ue2'}\n` }] }] },
    ]);
    const base = `http://127.0.0.1:${port}`;
    await createChannel('hook', 'WEBHOOK', `${base}/hook`, true);
    await createChannel('slack', 'SLACK', `${base}/services/T0/B0/slack`, true);
    // Subscribed to other events only, and a channel of another team: neither hears this gate.
    await createChannel('quiet', 'WEBHOOK', `${base}/quiet`, false);
    const other = await platform.createToken('operator', 'other-team');
    await createChannel('other', 'WEBHOOK', `${base}/other-team`, true, other.secret);
  });

  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a FAIL decision is delivered: HMAC-signed webhook and Slack message, logged, to the team only', async () => {
    const ref = `oci:${layout}:app`;
    const { promoteImage } = await graphqlData<{ promoteImage: { id: string } }>(
      platform.api.url,
      'mutation($ref: String!) { promoteImage(ref: $ref, policy: { maxSeverity: HIGH }) { id } }',
      { ref },
    );
    const task = await waitFor('the gate', async () => {
      const { task: t } = await graphqlData<{ task: { status: string } }>(platform.api.url, 'query($id: ID!) { task(id: $id) { status } }', { id: promoteImage.id });
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(t.status) ? t : undefined;
    });
    expect(task.status).toBe('SUCCEEDED');
    const { promotion } = await graphqlData<{ promotion: { decision: string; reasons: { rule: string; detail: string }[] } }>(
      platform.api.url,
      'query($id: ID!) { promotion(id: $id) { decision reasons { rule detail } } }',
      { id: promoteImage.id },
    );
    expect(promotion.decision).toBe('FAIL');

    const hook = await waitFor('the webhook', () => receiver.received.find((r) => r.path === '/hook'));
    const timestamp = Number(hook.headers[TIMESTAMP_HEADER]);
    const signature = String(hook.headers[SIGNATURE_HEADER]);
    expect(verifyWebhookSignature(SECRET, timestamp, hook.body, signature)).toBe(true);
    expect(verifyWebhookSignature(SECRET, timestamp, `${hook.body} `, signature)).toBe(false);
    const body = JSON.parse(hook.body) as { version: number; event: Record<string, unknown> };
    expect(body.version).toBe(1);
    expect(body.event).toMatchObject({
      type: 'gate.failed',
      category: 'GATE_FAILED',
      severity: 'HIGH',
      title: `promotion gate failed for ${ref}`,
      subject: ref,
      plugin: 'bulkhead.signer',
      taskId: promoteImage.id,
    });
    expect(body.event['details']).toEqual(promotion.reasons.map((r) => `${r.rule}: ${r.detail}`));

    const slack = await waitFor('the Slack message', () => receiver.received.find((r) => r.path === '/services/T0/B0/slack'));
    const message = JSON.parse(slack.body) as Record<string, unknown>;
    expect(Object.keys(message)).toEqual(['text']);
    expect(message['text']).toContain(`promotion gate failed for ${ref}`);
    expect(slack.headers[SIGNATURE_HEADER]).toBeUndefined();

    // The delivery log: one SUCCEEDED attempt per channel that wanted it.
    const log = await waitFor('the delivery log', async () => {
      const { notificationDeliveries } = await graphqlData<{ notificationDeliveries: { eventType: string; status: string; statusCode: number }[] }>(
        platform.api.url,
        '{ notificationDeliveries { eventType status statusCode } }',
      );
      return notificationDeliveries.length >= 2 ? notificationDeliveries : undefined;
    });
    expect(log).toEqual([
      { eventType: 'gate.failed', status: 'SUCCEEDED', statusCode: 200 },
      { eventType: 'gate.failed', status: 'SUCCEEDED', statusCode: 200 },
    ]);
    // Nothing for the channel without the rule, nor for another team's channel; one delivery each.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.received.map((r) => r.path).sort()).toEqual(['/hook', '/services/T0/B0/slack']);
  });
});
