import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { RuleEngine } from './engine';
import { EventEvaluator } from './evaluator';
import { loadRules } from './loader';
import { classifyJson } from '../events/reader';

/** Deterministic junk: every JSON type in every field the rules read. */
function junkValues(i: number): unknown[] {
  return [null, 0, -1, 1.5, '', 'x', true, false, [], [null], [1, 'a'], {}, { a: 1 }, 'O_RDWR', '/etc/shadow', `v${i}`];
}

describeWithShared('evaluation never crashes on junk events', (shared) => {
  const dir = path.join(shared, 'peers', 'falco');
  const files = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml', 'k8saudit/k8s_audit_rules.yaml'].map((f) => ({
    name: f,
    content: readFileSync(path.join(dir, f), 'utf8'),
  }));
  const loaded = loadRules(files);
  const evaluator = new EventEvaluator(new RuleEngine(loaded.rules, { matching: 'all' }));

  it('evaluates syscall events whose fields hold any JSON type', () => {
    const keys = ['proc.name', 'proc.cmdline', 'proc.exepath', 'proc.pname', 'proc.ancestors', 'proc.tty', 'fd.name', 'fd.typechar', 'fd.num', 'fd.sip', 'fd.sport', 'user.uid', 'user.name', 'evt.arg.flags', 'container.id', 'container.mounts', 'container.privileged', 'proc.env', 'evt.rawtime'];
    const types = ['open', 'openat', 'execve', 'connect', 'unlinkat', 'ptrace', 'setuid', 'mkdir'];
    let evaluated = 0;
    for (let i = 0; i < 4000; i++) {
      const event: Record<string, unknown> = { 'evt.type': types[i % types.length] };
      keys.forEach((k, j) => {
        const values = junkValues(i);
        event[k] = values[(i * 7 + j * 3) % values.length];
      });
      for (const item of classifyJson(event, `junk ${i}`)) {
        if (item.kind === 'event') {
          evaluator.evaluate(item.event);
          evaluated++;
        }
      }
    }
    expect(evaluated).toBe(4000);
    expect({ failures: evaluator.failures, last: evaluator.lastFailure }).toEqual({ failures: 0, last: undefined });
  });

  it('evaluates audit events with junk where objects are expected', () => {
    const shapes: unknown[] = [null, 1, 'x', [], {}, [null], [{ image: null }], { containers: 'x' }, { containers: [null, 1, { securityContext: 'x' }] }];
    let evaluated = 0;
    for (let i = 0; i < shapes.length * shapes.length; i++) {
      const event = {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        stage: 'ResponseComplete',
        stageTimestamp: '2024-01-01T00:00:00Z',
        verb: ['create', 'delete', 'patch'][i % 3],
        user: shapes[i % shapes.length],
        objectRef: { resource: ['pods', 'configmaps', 'clusterroles', 'services'][i % 4], namespace: 'kube-system', name: 'x' },
        requestObject: { spec: shapes[Math.floor(i / shapes.length)], rules: shapes[i % shapes.length], data: shapes[i % shapes.length], subjects: shapes[i % shapes.length] },
        responseStatus: { code: 201 },
      };
      for (const item of classifyJson(event, 'junk')) {
        if (item.kind === 'event') {
          evaluator.evaluate(item.event);
          evaluated++;
        }
      }
    }
    expect(evaluated).toBe(81);
    expect({ failures: evaluator.failures, last: evaluator.lastFailure }).toEqual({ failures: 0, last: undefined });
  });
});
