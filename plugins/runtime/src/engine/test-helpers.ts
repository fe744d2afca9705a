import { RuleEngine, type MatchMode } from './engine';
import { loadRules, type LoadResult } from './loader';
import { syscallEventType, type SyscallEvent } from '../fields/syscall';

/** Loads inline YAML documents (named a.yaml, b.yaml, ...) and fails loudly on errors. */
export function load(...docs: string[]): LoadResult {
  return loadRules(docs.map((content, i) => ({ name: `${String.fromCharCode(97 + i)}.yaml`, content })));
}

export function engineOf(docs: string[], matching: MatchMode = 'first'): RuleEngine {
  const r = load(...docs);
  if (r.errors.length) throw new Error(r.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`).join('\n'));
  return new RuleEngine(r.rules, { matching });
}

/** Names of the rules matching a syscall event. */
export function matches(engine: RuleEngine, event: SyscallEvent): string[] {
  return engine.match('syscall', syscallEventType(event), event).map((r) => r.name);
}

/** One syscall rule named R with this condition. */
export function ruleYaml(condition: string, extra = ''): string {
  return `- rule: R\n  desc: d\n  condition: ${JSON.stringify(condition)}\n  output: "o"\n  priority: WARNING\n${extra}`;
}
