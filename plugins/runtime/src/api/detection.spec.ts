import { silentLogger } from '@bulkhead/plugin-sdk';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileOutput, StdoutOutput, WebhookOutput } from '../alerts/outputs';
import { createAlertOutputs, loadRuntimeDetection, RuntimeRulesError } from './detection';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'bh-runtime-detection-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('loadRuntimeDetection', () => {
  it('is off without rules files', async () => {
    expect(await loadRuntimeDetection({ BULKHEAD_RUNTIME_RULES: [] }, silentLogger)).toBeNull();
  });

  it('loads the rules files in order into one engine', async () => {
    const a = path.join(work, 'a.yaml');
    const b = path.join(work, 'b.yaml');
    await writeFile(a, '- list: shells\n  items: [bash]\n');
    await writeFile(b, '- rule: Shell\n  desc: x\n  condition: evt.type = execve and proc.name in (shells)\n  output: shell\n  priority: NOTICE\n');
    const detection = await loadRuntimeDetection({ BULKHEAD_RUNTIME_RULES: [a, b] }, silentLogger);
    expect(detection?.rulesFiles).toEqual([a, b]);
    expect(detection?.engine.rules.map((r) => r.name)).toEqual(['Shell']);
  });

  it('refuses broken or missing rules, naming every problem as file:line:col', async () => {
    const broken = path.join(work, 'broken.yaml');
    await writeFile(broken, '- rule: Broken\n  desc: x\n  condition: evt.type = (\n  output: x\n  priority: WARNING\n');
    const missing = path.join(work, 'missing.yaml');
    const load = loadRuntimeDetection({ BULKHEAD_RUNTIME_RULES: [missing, broken] }, silentLogger);
    await expect(load).rejects.toBeInstanceOf(RuntimeRulesError);
    await expect(load).rejects.toThrow(/^BULKHEAD_RUNTIME_RULES: the rules failed to load:\n {2}\S*missing\.yaml:1:1: error: cannot read rules file.*\n {2}\S*broken\.yaml:3:\d+: error: /);
  });
});

describe('createAlertOutputs', () => {
  it('opens the configured outputs only', () => {
    expect(createAlertOutputs({ BULKHEAD_ALERT_STDOUT: false, BULKHEAD_ALERT_FILE: undefined, BULKHEAD_ALERT_WEBHOOK_URL: undefined }, silentLogger)).toEqual([]);
    const outputs = createAlertOutputs({ BULKHEAD_ALERT_STDOUT: true, BULKHEAD_ALERT_FILE: path.join(work, 'alerts.jsonl'), BULKHEAD_ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/' }, silentLogger);
    expect(outputs.map((o) => o.constructor)).toEqual([StdoutOutput, FileOutput, WebhookOutput]);
  });
});
