import { executeItem } from './test-item';
import type { TestItem } from './controls';

const item = (path: string, op: string, value: string): TestItem => ({ flag: '', env: '', path, set: true, compare: { op, value } });

describe('audit_config output read as YAML (kube-bench falls back to yaml.v2)', () => {
  it('resolves YAML 1.1 scalars as yaml.v2 does: yes is true, 0644 is octal', () => {
    expect(executeItem(item('{.authentication.anonymous.enabled}', 'eq', 'false'), 'audit_config', 'authentication:\n  anonymous:\n    enabled: no\n', false).passed).toBe(true);
    expect(executeItem(item('{.mode}', 'eq', '420'), 'audit_config', 'mode: 0644\n', false).passed).toBe(true);
  });

  it('lets the last of duplicate keys win, and prefers JSON when the output is JSON', () => {
    expect(executeItem(item('{.a}', 'eq', '2'), 'audit_config', 'a: 1\na: 2\n', false).passed).toBe(true);
    expect(executeItem(item('{.a}', 'eq', 'x'), 'audit_config', '{"a": "x"}', false).passed).toBe(true);
  });
});
