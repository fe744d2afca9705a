import type { CondNode, ValueItem } from './ast';
import { LIST_OPERATORS } from './ast';
import { parseCondition, ConditionSyntaxError } from './condition-parser';
import { CompileError, compileCondition, conditionEventTypes, expandMacros, type CompileScope, type MacroDefinition, type Predicate, type TypeSet } from './compiler';
import { offsetPos, type DiagnosticSink } from './diagnostics';
import { compileOutput, type CompiledOutput } from './output-format';
import type { Priority } from './priority';
import type { ExceptionInfo, RuleCollector } from './rule-loader-collector';
import { syscallFields } from '../fields/syscall';
import type { FieldSource } from '../fields/types';

/** A rule ready to run. */
export interface CompiledRule {
  readonly name: string;
  readonly description: string;
  readonly priority: Priority;
  readonly source: string;
  readonly tags: readonly string[];
  readonly enabled: boolean;
  /** Load order (Falco's priority order for first-match). */
  readonly index: number;
  readonly condition: string;
  readonly predicate: Predicate;
  readonly output: CompiledOutput;
  readonly outputTemplate: string;
  /** Event types the rule can match (`neg`: all but these). Always "all" for non-syscall sources. */
  readonly eventTypes: TypeSet;
}

/**
 * The compiler of the rules loader (Falco's rule_loader_compiler): expands lists, parses and
 * checks macros (each sees only the macros before it), then compiles every collected rule's
 * condition (with its exceptions) and output for its event source. A rule that does not compile
 * is reported and left out; unused macros and lists are reported as warnings.
 */
export function compileRules(collected: RuleCollector, sources: ReadonlyMap<string, FieldSource<unknown>>, backend: 'codegen' | 'closures', sink: DiagnosticSink): CompiledRule[] {
  const compiled: CompiledRule[] = [];
  const lists = new Map<string, string[]>();
  // Lists may reference lists defined before them (by position).
  for (const list of collected.lists.items) {
    const items: string[] = [];
    for (const item of list.items) {
      const ref = lists.get(item);
      if (ref) items.push(...ref);
      else items.push(item);
    }
    lists.set(list.name, items);
  }
  const macroDefs = new Map<string, MacroDefinition>();
  const macroInfos = collected.macros.items;
  macroInfos.forEach((m, index) => {
    try {
      macroDefs.set(m.name, { name: m.name, ast: parseCondition(m.condition), index });
    } catch (error) {
      if (!(error instanceof ConditionSyntaxError)) throw error;
      sink.report('error', offsetPos(m.condPos, error.offset), error.message, `macro ${m.name}`);
    }
  });
  const usedMacros = new Set<string>();
  const usedLists = new Set<string>();
  // A macro may only use macros defined before it (Falco's macro visibility).
  for (const m of macroDefs.values()) {
    try {
      expandMacros(m.ast, { fields: syscallFields as FieldSource<unknown>, lists, macros: macroDefs }, m.index);
    } catch (error) {
      if (!(error instanceof CompileError)) throw error;
      sink.report('error', offsetPos(macroInfos[m.index].condPos, error.offset), error.message, `macro ${m.name}`);
    }
  }

  collected.rules.items.forEach((rule, index) => {
    const label = `rule ${rule.name}`;
    const fields = sources.get(rule.source);
    if (!fields) {
      sink.report('warning', rule.pos, `unknown source '${rule.source}': rule skipped`, label);
      return;
    }
    let ast: CondNode;
    try {
      ast = parseCondition(rule.condition);
    } catch (error) {
      if (!(error instanceof ConditionSyntaxError)) throw error;
      sink.report('error', offsetPos(rule.condPos, error.offset), error.message, label);
      return;
    }
    const scope: CompileScope = { fields, lists, macros: macroDefs, usedMacros, usedLists };
    try {
      const withExceptions = applyExceptions(ast, rule.exceptions);
      const predicate = compileCondition(withExceptions, scope, backend);
      let output: CompiledOutput;
      try {
        output = compileOutput(rule.output, fields);
      } catch (error) {
        if (!(error instanceof CompileError)) throw error;
        sink.report('error', error.offset !== undefined && error.offset <= rule.output.length ? offsetPos(rule.outputPos, error.offset) : rule.outputPos, error.message, label);
        return;
      }
      const eventTypes: TypeSet = rule.source === 'syscall' ? conditionEventTypes(expandMacros(withExceptions, scope)) : { neg: true, set: new Set() };
      if (rule.source === 'syscall' && eventTypes.neg && rule.warnEvttypes) {
        sink.report('warning', rule.pos, 'rule matches too many evt.type values: it runs on every event, a significant performance penalty', label);
      }
      if (rule.source === 'syscall' && !eventTypes.neg && eventTypes.set.size === 0 && rule.warnEvttypes) {
        sink.report('warning', rule.pos, 'rule matches no evt.type value: it can never trigger', label);
      }
      compiled.push({
        name: rule.name,
        description: rule.desc,
        priority: rule.priority,
        source: rule.source,
        tags: rule.tags,
        enabled: rule.enabled,
        index,
        condition: rule.condition,
        predicate,
        output,
        outputTemplate: rule.output,
        eventTypes,
      });
    } catch (error) {
      if (!(error instanceof CompileError)) throw error;
      if (rule.skipIfUnknownFilter && /unknown field/.test(error.message)) {
        sink.report('warning', rule.pos, `${error.message}: rule skipped (skip-if-unknown-filter)`, label);
        return;
      }
      const macro = error.macro !== undefined ? macroInfos.find((m) => m.name === error.macro) : undefined;
      if (macro) {
        // The problem is in a macro's text: point there, and say which rule uses it.
        sink.report('error', offsetPos(macro.condPos, error.offset), error.message, `macro ${macro.name}`);
        return;
      }
      const pos = error.offset !== undefined && error.offset <= rule.condition.length ? offsetPos(rule.condPos, error.offset) : rule.condPos;
      sink.report('error', pos, error.message, label);
    }
  });
  for (const m of macroInfos) if (!usedMacros.has(m.name)) sink.report('warning', m.pos, 'macro not referenced by any rule', `macro ${m.name}`);
  const referencedByLists = new Set(collected.lists.items.flatMap((l) => l.items));
  for (const l of collected.lists.items) {
    if (!usedLists.has(l.name) && !referencedByLists.has(l.name)) sink.report('warning', l.pos, 'list not referenced by any rule', `list ${l.name}`);
  }
  return compiled;
}


/**
 * Adds exceptions to a rule condition as Falco does:
 * `(cond) and not ((f1 c1 v1 and f2 c2 v2) or ...)`. Built as AST so values need no quoting.
 */
export function applyExceptions(ast: CondNode, exceptions: readonly ExceptionInfo[]): CondNode {
  const alternatives: CondNode[] = [];
  for (const ex of exceptions) {
    if (ex.fields === undefined) continue;
    if (Array.isArray(ex.fields)) {
      const comps = (ex.comps as string[] | undefined) ?? ex.fields.map(() => '=');
      for (const tuple of ex.values as unknown[][]) {
        const checks = ex.fields.map((field, i) => exceptionCheck(field, comps[i] ?? '=', tuple[i]));
        alternatives.push(checks.length === 1 ? checks[0] : { kind: 'and', children: checks });
      }
    } else {
      if (ex.values.length === 0) continue;
      const comp = (ex.comps as string | undefined) ?? 'in';
      alternatives.push(exceptionCheck(ex.fields, comp, ex.values));
    }
  }
  if (alternatives.length === 0) return ast;
  return { kind: 'and', children: [ast, { kind: 'not', child: alternatives.length === 1 ? alternatives[0] : { kind: 'or', children: alternatives } }] };
}

/**
 * Falco inserts exception values into the condition text quoted only when they contain spaces
 * (rule_loader_compiler quote_item), so a bare value may name a list; `quoted` mirrors that.
 */
function exceptionItem(v: unknown): ValueItem {
  const text = String(v);
  return { text, quoted: /\s/.test(text) };
}

function exceptionCheck(fieldText: string, comp: string, value: unknown): CondNode {
  const m = /^([A-Za-z0-9_.]+)(?:\[(.*)\])?$/.exec(fieldText.trim());
  if (!m) throw new CompileError(`exception field '${fieldText}' is not a field name`);
  const field = { name: m[1], arg: m[2], transformers: [], pos: 0 };
  const op = comp === '==' ? '=' : comp;
  if (op === 'exists') return { kind: 'check', field, op, pos: 0 };
  if (LIST_OPERATORS.has(op)) {
    // A single value is wrapped in parentheses (paren_item), so it may name a list.
    const items: ValueItem[] = Array.isArray(value) ? value.map(exceptionItem) : [exceptionItem(value)];
    return { kind: 'check', field, op, value: { kind: 'list', items }, pos: 0 };
  }
  if (Array.isArray(value)) throw new CompileError(`exception value for field ${fieldText} with operator ${comp} must be a single value, not a list`);
  return { kind: 'check', field, op, value: { kind: 'value', item: { text: String(value), quoted: true } }, pos: 0 };
}

