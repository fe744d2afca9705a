import { DiagnosticSink, type Diagnostic } from './diagnostics';
import { RuleCollector } from './rule-loader-collector';
import { compileRules, type CompiledRule } from './rule-loader-compiler';
import { RulesReader, type RulesFile } from './rule-loader-reader';
import type { FieldSource } from '../fields/types';
import { syscallFields } from '../fields/syscall';
import { k8sAuditFields } from '../fields/k8saudit';

export { ENGINE_VERSION, type RulesFile } from './rule-loader-reader';
export { applyExceptions, type CompiledRule } from './rule-loader-compiler';

export interface LoadResult {
  rules: CompiledRule[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
  infos: Diagnostic[];
}

export interface LoadOptions {
  /** Field sources by name; defaults to syscall and k8s_audit. */
  sources?: ReadonlyMap<string, FieldSource<unknown>>;
  /** Condition backend: generated functions (default) or the closure tree (for cross-checks). */
  backend?: 'codegen' | 'closures';
}

export const DEFAULT_SOURCES: ReadonlyMap<string, FieldSource<unknown>> = new Map<string, FieldSource<unknown>>([
  ['syscall', syscallFields as FieldSource<unknown>],
  ['k8s_audit', k8sAuditFields as FieldSource<unknown>],
]);

/**
 * Loads Falco rules files with Falco's semantics, in the three steps of Falco's own engine
 * (falcosecurity/falco userspace/engine): the reader (rule_loader_reader) parses each file and
 * checks its items; the collector (rule_loader_collector) keeps lists, macros and rules in file
 * order across files and applies `append` / `override` / `enabled`-only items; the compiler
 * (rule_loader_compiler) compiles what was collected. One broken item or file is reported and
 * skipped; the rest still load.
 */
export function loadRules(files: readonly RulesFile[], options: LoadOptions = {}): LoadResult {
  const sink = new DiagnosticSink();
  const collected = new RuleCollector();
  const reader = new RulesReader(collected, sink);
  for (const file of files) reader.readFile(file);
  const rules = compileRules(collected, options.sources ?? DEFAULT_SOURCES, options.backend ?? 'codegen', sink);
  return { rules, errors: sink.errors, warnings: sink.warnings, infos: sink.infos };
}
