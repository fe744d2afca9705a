import { createHmac } from 'node:crypto';
import { uuidFrom } from './delivery-queue';
import { parseAlertPriority, ruleMatches } from './rules';
import { renderMessage } from './messages';
import { notificationsEnabled, notifyDestinationPolicy, notifyDestinationPolicyFromEnv, RefusedDestinationError } from './destination-policy';
import { signWebhook, verifyWebhookSignature } from './signature';

describe('webhook signature', () => {
  it('is HMAC-SHA256 over timestamp.body, hex, prefixed sha256=', () => {
    const expected = createHmac('sha256', 's3cret').update('1700000000.{"a":1}').digest('hex');
    expect(signWebhook('s3cret', 1700000000, '{"a":1}')).toBe(`sha256=${expected}`);
  });
  it('verifies only the same secret, timestamp and body', () => {
    const sig = signWebhook('k', 10, 'body');
    expect(verifyWebhookSignature('k', 10, 'body', sig)).toBe(true);
    expect(verifyWebhookSignature('k', 11, 'body', sig)).toBe(false);
    expect(verifyWebhookSignature('k', 10, 'body!', sig)).toBe(false);
    expect(verifyWebhookSignature('other', 10, 'body', sig)).toBe(false);
    expect(verifyWebhookSignature('k', 10, 'body', 'sha256=00')).toBe(false);
  });
  it('refuses an empty secret', () => expect(() => signWebhook('', 1, 'x')).toThrow(/empty/));
});

describe('messages', () => {
  const event = { type: 'finding.critical' as const, teamId: 't1', imageRef: 'r/app@sha256:ab', findingIds: Array.from({ length: 50 }, (_, i) => `f${i}`), summary: 'CVE-1 <openssl>' };
  it('slack: a text message with mrkdwn escaping', () => {
    const body = JSON.parse(renderMessage('SLACK', event, 'd1')) as { text: string };
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toContain('50 new CRITICAL finding(s) on r/app@sha256:ab');
    expect(body.text).toContain('&lt;openssl&gt;');
  });
  it('webhook: versioned JSON, the id list capped with the full count', () => {
    const body = JSON.parse(renderMessage('WEBHOOK', event, 'd1')) as { version: number; deliveryId: string; event: { findingIds: string[]; findingCount: number } };
    expect(body.version).toBe(1);
    expect(body.deliveryId).toBe('d1');
    expect(body.event.findingIds).toHaveLength(20);
    expect(body.event.findingCount).toBe(50);
  });
});

describe('destination policy', () => {
  const url = (s: string): URL => new URL(s);
  it('allows only listed hosts (empty list = nothing)', () => {
    expect(() => notifyDestinationPolicy({ allowedHosts: [] }).checkUrl(url('https://hooks.slack.com/x'))).toThrow(/not in the allow-list .*\(empty\)/);
    expect(() => notifyDestinationPolicy({ allowedHosts: ['*.slack.com'] }).checkUrl(url('https://hooks.slack.com/x'))).not.toThrow();
    expect(() => notifyDestinationPolicy({ allowedHosts: ['*.slack.com'] }).checkUrl(url('https://evil.com/x'))).toThrow(RefusedDestinationError);
  });
  it('refuses link-local even with * and private allowed', () => {
    const p = notifyDestinationPolicy({ allowedHosts: ['*'], allowPrivate: true });
    expect(() => p.checkUrl(url('http://169.254.169.254/latest/meta-data'))).toThrow(/link-local/);
    expect(() => p.checkUrl(url('http://[fe80::1]/'))).toThrow(/link-local/);
    expect(() => p.checkUrl(url('http://[::ffff:169.254.169.254]/'))).toThrow(/link-local/);
  });
  it('refuses loopback/private unless allowed, and non-http schemes and credentials', () => {
    expect(() => notifyDestinationPolicy({ allowedHosts: ['*'] }).checkUrl(url('http://127.0.0.1:8080/'))).toThrow(/BULKHEAD_NOTIFY_ALLOW_PRIVATE/);
    expect(() => notifyDestinationPolicy({ allowedHosts: ['*'], allowPrivate: true }).checkUrl(url('http://127.0.0.1:8080/'))).not.toThrow();
    expect(() => notifyDestinationPolicy({ allowedHosts: ['*'] }).checkUrl(url('file:///etc/passwd'))).toThrow(/scheme/);
    expect(() => notifyDestinationPolicy({ allowedHosts: ['*'] }).checkUrl(url('https://u:p@example.com/'))).toThrow(/credentials/);
  });
  it('reads the environment and rejects a bad flag', () => {
    expect(() => notifyDestinationPolicyFromEnv({ BULKHEAD_NOTIFY_ALLOW_PRIVATE: 'maybe' })).toThrow(/expected true or false/);
    const p = notifyDestinationPolicyFromEnv({ BULKHEAD_NOTIFY_ALLOWED_HOSTS: 'a.example, b.example' });
    expect(() => p.checkUrl(url('https://b.example/'))).not.toThrow();
  });
});

describe('notifications enabled', () => {
  it('only when some host is allowed: otherwise no channel could be delivered, so nothing listens', () => {
    expect(notificationsEnabled({})).toBe(false);
    expect(notificationsEnabled({ BULKHEAD_NOTIFY_ALLOWED_HOSTS: ' , ' })).toBe(false);
    expect(notificationsEnabled({ BULKHEAD_NOTIFY_ALLOWED_HOSTS: 'hooks.slack.com' })).toBe(true);
  });
});

describe('rules', () => {
  const event = (priority: string) => ({ type: 'runtime.alert' as const, teamId: 't', rule: 'r', priority, output: 'o' });
  const rules = { onCriticalFindings: false, onFailedGates: true, runtimeAlertMinPriority: 'Critical' as const };
  it('runtime alerts at or above the minimum priority (any case), unknown priorities sent', () => {
    expect(ruleMatches(rules, event('Emergency'))).toBe(true);
    expect(ruleMatches(rules, event('CRITICAL'))).toBe(true);
    expect(ruleMatches(rules, event('Error'))).toBe(false);
    expect(ruleMatches(rules, event('weird'))).toBe(true);
    expect(ruleMatches({ ...rules, runtimeAlertMinPriority: null }, event('Emergency'))).toBe(false);
  });
  it('findings and gates follow their switches', () => {
    const gate = { type: 'gate.failed' as const, teamId: 't', category: 'GATE_FAILED' as const, severity: 'HIGH', title: 'g', summary: 's', subject: null, link: null, details: [], plugin: null, taskId: null };
    expect(ruleMatches(rules, gate)).toBe(true);
    expect(ruleMatches({ ...rules, onFailedGates: false }, gate)).toBe(false);
    expect(ruleMatches(rules, { type: 'finding.critical', teamId: 't', imageRef: 'i', findingIds: ['a'], summary: '' })).toBe(false);
  });
  it('parses priorities', () => {
    expect(parseAlertPriority('info')).toBe('Informational');
    expect(parseAlertPriority(' warning ')).toBe('Warning');
    expect(parseAlertPriority('loud')).toBeUndefined();
  });
});

describe('uuidFrom', () => {
  it('is a stable, valid UUID that differs by key', () => {
    const a = uuidFrom('chan\ncritical:f1,f2');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidFrom('chan\ncritical:f1,f2')).toBe(a);
    expect(uuidFrom('chan\ncritical:f1')).not.toBe(a);
  });
});
