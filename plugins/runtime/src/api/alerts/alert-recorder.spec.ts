import { silentLogger, type FindingResult } from '@bulkhead/plugin-sdk';
import type { HostFindings, StoredFinding } from '@bulkhead/plugin-sdk/api';
import type { FalcoAlert } from '../../alerts/alert';
import type { AlertOutput } from '../../alerts/outputs';
import { AlertRecorder } from './alert-recorder';

/** HostFindings.record's contract in memory: upsert on (target, fingerprint), return the inserted rows. */
function memoryFindings(): Pick<HostFindings, 'record'> & { rows: StoredFinding[] } {
  const rows: StoredFinding[] = [];
  return {
    rows,
    async record(findings: readonly FindingResult[]) {
      const inserted: StoredFinding[] = [];
      for (const f of findings) {
        if (rows.some((r) => r.target === f.target && r.fingerprint === f.fingerprint)) continue;
        const now = new Date();
        const row: StoredFinding = { id: `id-${rows.length}`, kind: f.kind, severity: f.severity, ruleId: f.ruleId, title: f.title, target: f.target ?? '', fingerprint: f.fingerprint ?? '', location: f.location ?? null, data: jsonbOrder(f.data ?? {}), status: 'OPEN', reopened: false, reopenedAt: null, taskId: null, firstSeenAt: now, lastSeenAt: now, resolvedAt: null };
        rows.push(row);
        inserted.push(row);
      }
      return inserted;
    },
  };
}

/** JSONB hands objects back with keys shorter-first, then by bytes: not the order they were written in. */
function jsonbOrder(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : 1)));
}

class RecordingOutput implements AlertOutput {
  readonly sent: FalcoAlert[] = [];
  constructor(private readonly fail = false) {}
  async send(alert: FalcoAlert): Promise<void> {
    if (this.fail) throw new Error('receiver down');
    this.sent.push(alert);
  }
  async close(): Promise<void> {
    return undefined;
  }
}

const alert = (n: number): FalcoAlert => ({
  output: `shell ${n}`,
  output_fields: { 'container.id': `c${n}` },
  priority: 'Warning',
  rule: 'Shell in container',
  source: 'syscall',
  tags: [],
  time: `2024-05-02T12:20:0${n}.5+02:00`,
});

describe('AlertRecorder', () => {
  it('stores alerts as runtime findings and sends only the new ones, in Falco time form, to every output', async () => {
    const findings = memoryFindings();
    const output = new RecordingOutput();
    const failing = new RecordingOutput(true);
    const recorder = new AlertRecorder(findings, [failing, output], silentLogger);
    const first = await recorder.record([{ alert: alert(1) }, { alert: alert(2) }, { alert: alert(1) }]);
    expect(first.map((f) => [f.kind, f.ruleId, f.target, f.severity])).toEqual([
      ['runtime', 'Shell in container', 'container:c1', 'MEDIUM'],
      ['runtime', 'Shell in container', 'container:c2', 'MEDIUM'],
    ]);
    expect(output.sent.map((a) => a.time)).toEqual(['2024-05-02T10:20:01.500000000Z', '2024-05-02T10:20:02.500000000Z']);
    // In Falco's key order, as built (not as the store hands the JSON back).
    expect(Object.keys(output.sent[0] ?? {})).toEqual(['output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time']);
    // Re-sent: stored once, sent once; a failing output does not stop the others.
    expect(await recorder.record([{ alert: alert(2) }, { alert: alert(3) }])).toHaveLength(1);
    expect(output.sent.map((a) => a.output)).toEqual(['shell 1', 'shell 2', 'shell 3']);
    expect(await recorder.record([])).toEqual([]);
  });
});
