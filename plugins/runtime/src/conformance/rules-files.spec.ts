import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { formatDiagnostic } from '../engine/diagnostics';
import { loadRules } from '../engine/loader';

describeWithShared('the Falco rules files of ../shared/peers/falco', (shared) => {
  const dir = path.join(shared, 'peers', 'falco');
  const file = (f: string) => ({ name: f, content: readFileSync(path.join(dir, f), 'utf8') });

  it.each([
    ['falco_rules.yaml', 25],
    ['falco-incubating_rules.yaml', 31],
    ['falco-sandbox_rules.yaml', 37],
    ['k8saudit/k8s_audit_rules.yaml', 48],
  ])('%s loads and compiles every rule with no error', (name, rules) => {
    const r = loadRules([file(name)]);
    expect(r.errors.map(formatDiagnostic)).toEqual([]);
    expect(r.rules).toHaveLength(rules);
  });

  it('loads all four files together, as a Falco deployment would', () => {
    const r = loadRules(['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml', 'k8saudit/k8s_audit_rules.yaml'].map(file));
    expect(r.errors.map(formatDiagnostic)).toEqual([]);
    expect(new Set(r.rules.map((x) => x.source))).toEqual(new Set(['syscall', 'k8s_audit']));
    // Every syscall rule of these files constrains evt.type, so the index applies to all of them.
    expect(r.rules.filter((x) => x.source === 'syscall' && x.eventTypes.neg)).toEqual([]);
  });
});
