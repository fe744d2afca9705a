import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError, parseTaskInput, silentLogger, type FindingResult, type TaskContext } from '@bulkhead/plugin-sdk';
import { runtimePlugin, evaluateEventsTask, ingestFalcoAlertsTask } from './plugin';

function context(): { ctx: TaskContext; findings: FindingResult[] } {
  const findings: FindingResult[] = [];
  const ctx: TaskContext = {
    taskId: 't1',
    logger: silentLogger,
    signal: new AbortController().signal,
    workDir: tmpdir(),
    emit: { artifact: async () => undefined, packages: async () => undefined, findings: async (f) => void findings.push(...f) },
    progress: () => undefined,
    extensions: () => [],
  };
  return { ctx, findings };
}

const RULES = `- rule: Shell
  desc: d
  condition: evt.type = execve and proc.name = bash
  output: "shell %proc.name in %container.id"
  priority: ERROR
`;

describe('runtime plugin', () => {
  it('declares the manifest the platform expects', () => {
    expect(runtimePlugin.manifest).toMatchObject({ id: 'bulkhead.runtime', kind: 'runtime', phases: ['run'] });
    expect(runtimePlugin.tasks.map((t) => t.type)).toEqual(['evaluate-events', 'ingest-falco-alerts']);
  });

  it('evaluate-events emits a runtime finding per alert from inline rules and inline + file events', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bh-runtime-plugin-'));
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, `${JSON.stringify({ 'evt.type': 'execve', 'proc.name': 'bash', 'container.id': 'c2' })}\nnot json\n`);
    const { ctx, findings } = context();
    const input = parseTaskInput(evaluateEventsTask, {
      rules: { inline: RULES },
      events: { inline: [{ 'evt.type': 'execve', 'proc.name': 'bash', 'container.id': 'c1' }, { 'evt.type': 'execve', 'proc.name': 'ls' }, 42], files: [file] },
    });
    const result = await evaluateEventsTask.run(input, ctx);
    expect(result).toMatchObject({ events: 3, malformed: 2, alerts: 2, byRule: { Shell: 2 } });
    expect(findings.map((f) => [f.kind, f.severity, f.ruleId, f.target])).toEqual([
      ['runtime', 'HIGH', 'Shell', 'container:c1'],
      ['runtime', 'HIGH', 'Shell', 'container:c2'],
    ]);
  });

  it('evaluate-events refuses broken rules and bad input with clear errors', async () => {
    const { ctx } = context();
    const input = parseTaskInput(evaluateEventsTask, { rules: { inline: '- rule: X\n  condition: (' }, events: { inline: [{}] } });
    await expect(evaluateEventsTask.run(input, ctx)).rejects.toThrow(BadInputError);
    await expect(evaluateEventsTask.run(input, ctx)).rejects.toThrow(/<inline>:1:3: error: rule X: rule X has no 'desc'|<inline>/);
    expect(() => parseTaskInput(evaluateEventsTask, { rules: {}, events: { inline: [] } })).toThrow(/rules: give rules files or inline rules YAML; events: give event files or inline events/);
    expect(() => parseTaskInput(evaluateEventsTask, { rules: { inline: RULES }, events: { inline: [1] }, minimumPriority: 'loud' })).toThrow(/minimumPriority/);
  });

  it('ingest-falco-alerts stores valid alerts and counts the rest', async () => {
    const { ctx, findings } = context();
    const alert = { output: 'x', priority: 'Critical', rule: 'Terminal shell in container', time: '2024-05-01T10:00:00.123456789Z', output_fields: { 'container.id': 'abc' }, source: 'syscall', tags: [], hostname: 'h' };
    const input = parseTaskInput(ingestFalcoAlertsTask, { alerts: [alert, { ...alert, priority: 'nope' }, 'garbage'] });
    const result = await ingestFalcoAlertsTask.run(input, ctx);
    expect(result).toMatchObject({ received: 3, ingested: 1, rejected: 2 });
    expect(result.rejectedSamples).toHaveLength(2);
    expect(findings[0]).toMatchObject({ kind: 'runtime', severity: 'CRITICAL', ruleId: 'Terminal shell in container', target: 'container:abc' });
  });
});
