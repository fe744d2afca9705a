import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describeWithShared } from '@bulkhead/testing';
import { AuditWebhookHandler, readLimitedBody, PayloadTooLargeError } from './audit-webhook';
import { RuleEngine } from './engine/engine';
import { loadRules } from './engine/loader';

describeWithShared('AuditWebhookHandler', (shared) => {
  const dir = path.join(shared, 'peers', 'falco', 'k8saudit');
  const loaded = loadRules([{ name: 'k8s_audit_rules.yaml', content: readFileSync(path.join(dir, 'k8s_audit_rules.yaml'), 'utf8') }]);
  const handler = new AuditWebhookHandler({ engine: new RuleEngine(loaded.rules), maxBodyBytes: 64 * 1024, hostname: 'api-0' });
  const event = (file: string) => JSON.parse(readFileSync(path.join(dir, 'test_files', file), 'utf8').split('\n')[0]);

  it.each(['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'])('evaluates an EventList (%s) as kube-apiserver sends it', (apiVersion) => {
    const body = JSON.stringify({ kind: 'EventList', apiVersion, items: [event('create_nginx_pod_privileged.json'), event('create_configmap.json'), { kind: 'Event', apiVersion }] });
    const r = handler.handle(Buffer.from(body));
    expect(r.status).toBe(200);
    expect(r.events).toBe(2);
    expect(r.malformed).toEqual([{ where: 'body item 2', reason: 'audit event has no valid stageTimestamp, timestamp or requestReceivedTimestamp' }]);
    expect(r.alerts.map((a) => a.rule)).toEqual(['Create Privileged Pod', 'K8s ConfigMap Created']);
    expect(r.alerts[0]).toMatchObject({ hostname: 'api-0', source: 'k8s_audit', priority: 'Warning' });
  });

  it('accepts EventList items without their own kind/apiVersion, as kube-apiserver sends them', () => {
    const { kind: _kind, apiVersion: _apiVersion, ...item } = event('create_nginx_pod_privileged.json');
    const r = handler.handle(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [item] }));
    expect(r).toMatchObject({ status: 200, events: 1, malformed: [] });
    expect(r.alerts.map((a) => a.rule)).toEqual(['Create Privileged Pod']);
  });

  it('rejects an oversized body with 413 semantics, before and while reading', async () => {
    const big = Buffer.alloc(64 * 1024 + 1, 0x20);
    expect(handler.handle(big)).toMatchObject({ status: 413, alerts: [], error: expect.stringMatching(/exceeds the limit of 65536 bytes/) });
    const streamed = await handler.handleStream(Readable.from([big.subarray(0, 40000), big.subarray(40000)]));
    expect(streamed.status).toBe(413);
    await expect(readLimitedBody(Readable.from([Buffer.alloc(10)]), 5)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('answers 400 to a body that is not an audit payload, and never throws', () => {
    expect(handler.handle('{not json')).toMatchObject({ status: 400, error: expect.stringMatching(/^body is not JSON/) });
    expect(handler.handle('{"kind": 0}')).toMatchObject({ status: 400, error: expect.stringMatching(/data not recognized as a k8s audit event/) });
    expect(handler.handle('{"kind":"EventList","apiVersion":"audit.k8s.io/v2","items":[]}').status).toBe(400);
  });
});
