import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { CondNode, ValueItem } from './ast';
import { LIST_OPERATORS } from './ast';
import { parseCondition, ConditionSyntaxError } from './condition-parser';
import { CompileError, compileCondition, conditionEventTypes, expandMacros, type CompileScope, type MacroDefinition, type Predicate, type TypeSet } from './compiler';
import { compileOutput, type CompiledOutput } from './output-format';
import { parsePriority, type Priority } from './priority';
import type { Diagnostic } from './diagnostics';
import type { FieldSource } from '../fields/types';
import { syscallFields } from '../fields/syscall';
import { k8sAuditFields } from '../fields/k8saudit';

/**
 * The rules-file syntax version this engine implements (Falco's engine version). Files asking
 * for a newer one are refused, as Falco does. The old integer form N means 0.N.0.
 */
export const ENGINE_VERSION = '0.57.0';

export interface RulesFile {
  /** Shown in diagnostics: a path or a label such as `<inline>`. */
  name: string;
  content: string;
}

/** Where a value sits in its file; `singleLine` values map condition offsets to exact columns. */
interface SourcePos {
  file: string;
  line: number;
  col: number;
  singleLine: boolean;
}

interface ExceptionInfo {
  name: string;
  fields?: string | string[];
  comps?: string | string[];
  values: unknown[];
}

interface ListInfo {
  name: string;
  items: string[];
  pos: SourcePos;
}

interface MacroInfo {
  name: string;
  condition: string;
  pos: SourcePos;
  condPos: SourcePos;
}

interface RuleInfo {
  name: string;
  desc: string;
  condition: string;
  output: string;
  priority: Priority;
  source: string;
  enabled: boolean;
  tags: string[];
  exceptions: ExceptionInfo[];
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  pos: SourcePos;
  condPos: SourcePos;
  outputPos: SourcePos;
}

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

const RULE_APPENDABLE = new Set(['condition', 'output', 'desc', 'exceptions', 'tags']);
// Falco docs rules/overriding: what `override` may append to or replace on a rule.
const RULE_REPLACEABLE = new Set(['condition', 'output', 'desc', 'priority', 'tags', 'exceptions', 'enabled', 'warn_evttypes', 'skip-if-unknown-filter', 'capture', 'capture_duration']);

class ItemError extends Error {
  constructor(
    message: string,
    readonly node?: YamlNode | null,
  ) {
    super(message);
  }
}

/** Ordered collection with in-place replacement: a redefinition keeps the original position. */
class Ordered<T extends { name: string }> {
  readonly items: T[] = [];
  private readonly index = new Map<string, number>();
  get(name: string): T | undefined {
    const i = this.index.get(name);
    return i === undefined ? undefined : this.items[i];
  }
  indexOf(name: string): number {
    return this.index.get(name) ?? -1;
  }
  set(item: T): void {
    const i = this.index.get(item.name);
    if (i === undefined) {
      this.index.set(item.name, this.items.length);
      this.items.push(item);
    } else this.items[i] = item;
  }
}

/**
 * Loads Falco rules files with Falco's semantics (falcosecurity/falco userspace/engine
 * rule_loader_reader / _collector / _compiler): lists, macros and rules in file order across
 * files; `append` and `override`; exceptions; `enabled`-only items; version checks. One broken
 * item or file is reported and skipped; the rest still load.
 */
export function loadRules(files: readonly RulesFile[], options: LoadOptions = {}): LoadResult {
  const sources = options.sources ?? DEFAULT_SOURCES;
  const loader = new Loader(sources, options.backend ?? 'codegen');
  for (const file of files) loader.readFile(file);
  return loader.compile();
}

class Loader {
  private readonly lists = new Ordered<ListInfo>();
  private readonly macros = new Ordered<MacroInfo>();
  private readonly rules = new Ordered<RuleInfo>();
  private readonly errors: Diagnostic[] = [];
  private readonly warnings: Diagnostic[] = [];
  private readonly infos: Diagnostic[] = [];
  private file = '';
  private lineCounter = new LineCounter();

  constructor(
    private readonly sources: ReadonlyMap<string, FieldSource<unknown>>,
    private readonly backend: 'codegen' | 'closures',
  ) {}

  private pos(node: YamlNode | null | undefined): SourcePos {
    const offset = node?.range?.[0] ?? 0;
    const lp = this.lineCounter.linePos(offset);
    const end = node?.range?.[1] ?? offset;
    const endLine = this.lineCounter.linePos(end).line;
    const type = isScalar(node) ? (node as Scalar).type : undefined;
    const singleLine = endLine === lp.line && (type === 'PLAIN' || type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE');
    // Quoted scalars start one column before their text.
    return { file: this.file, line: lp.line, col: lp.col + (singleLine && type !== 'PLAIN' ? 1 : 0), singleLine };
  }

  private readonly reported = new Set<string>();

  private report(severity: Diagnostic['severity'], pos: SourcePos, message: string, item?: string): void {
    const d: Diagnostic = { severity, file: pos.file, line: pos.line, col: pos.col, message, item };
    // A problem inside a macro surfaces once per rule using it: report it once.
    const key = JSON.stringify(d);
    if (this.reported.has(key)) return;
    this.reported.add(key);
    (severity === 'error' ? this.errors : severity === 'warning' ? this.warnings : this.infos).push(d);
  }

  readFile(file: RulesFile): void {
    this.file = file.name;
    this.lineCounter = new LineCounter();
    const doc = parseDocument(file.content, { lineCounter: this.lineCounter, uniqueKeys: false, prettyErrors: false });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const lp = e.linePos?.[0] ?? this.lineCounter.linePos(e.pos[0]);
        this.report('error', { file: file.name, line: lp.line, col: lp.col, singleLine: false }, `YAML syntax error: ${e.message.split('\n')[0]}`);
      }
      return;
    }
    const root = doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return;
    if (!isSeq(root)) {
      this.report('error', this.pos(root), 'rules file content is not a YAML sequence of items');
      return;
    }
    for (const item of root.items) {
      // An empty `-` entry is ignored, as Falco's YAML reader does.
      if (item === null || (isScalar(item) && (item as Scalar).value === null)) continue;
      try {
        this.readItem(item as YamlNode);
      } catch (error) {
        if (!(error instanceof ItemError)) throw error;
        this.report('error', this.pos(error.node ?? (item as YamlNode)), error.message, itemLabel(item as YamlNode));
      }
    }
  }

  private readItem(node: YamlNode): void {
    if (!isMap(node)) throw new ItemError('item is not a YAML mapping', node);
    const map = node as YAMLMap;
    const keys = map.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key));
    if (keys.includes('required_engine_version')) return this.readEngineVersion(map);
    if (keys.includes('required_plugin_versions')) {
      this.report('info', this.pos(node), 'required_plugin_versions is accepted and ignored: fields of the k8saudit, json and container plugins are built in');
      return;
    }
    if (keys.includes('list')) return this.readList(map);
    if (keys.includes('macro')) return this.readMacro(map);
    if (keys.includes('rule')) return this.readRule(map);
    this.report('warning', this.pos(node), `unknown top-level item with keys ${keys.join(', ')}: skipped`);
  }

  private readEngineVersion(map: YAMLMap): void {
    const node = mustPair(map, 'required_engine_version');
    const raw = scalarValue(node.value as YamlNode);
    let required: string;
    if (typeof raw === 'number' && Number.isInteger(raw)) required = `0.${raw}.0`;
    else if (typeof raw === 'string' && /^\d+\.\d+\.\d+$/.test(raw.trim())) required = raw.trim();
    else if (typeof raw === 'string' && /^\d+$/.test(raw.trim())) required = `0.${raw.trim()}.0`;
    else throw new ItemError(`required_engine_version must be a semver string or an integer, got ${JSON.stringify(raw)}`, node.value as YamlNode);
    if (compareVersions(required, ENGINE_VERSION) > 0) {
      throw new ItemError(`rules require engine version ${required}, but engine version is ${ENGINE_VERSION}`, node.value as YamlNode);
    }
  }

  private readList(map: YAMLMap): void {
    const name = requiredString(map, 'list');
    const { append, override } = this.appendOverride(map, new Set(['items']), new Set(['items']));
    const itemsNode = pairOf(map, 'items');
    if (!itemsNode) throw new ItemError(`missing required key 'items'`, map);
    if (!isSeq(itemsNode.value) && !isScalar(itemsNode.value)) throw new ItemError(`'items' of list ${name} must be a sequence`, itemsNode.value as YamlNode);
    // A scalar is one item (the Falco docs override `items: cp`); null is an empty list.
    const scalar = isScalar(itemsNode.value) ? (itemsNode.value as Scalar).value : undefined;
    const items = isScalar(itemsNode.value)
      ? scalar === null || scalar === undefined || scalar === ''
        ? []
        : [String(scalar)]
      : isSeq(itemsNode.value)
      ? itemsNode.value.items.map((i) => {
          const v = scalarValue(i as YamlNode);
          if (v === undefined || v === null || typeof v === 'object') throw new ItemError(`items of list ${name} must be scalars`, i as YamlNode);
          return String(v);
        })
      : [];
    const existing = this.lists.get(name);
    const isAppend = append || override?.get('items') === 'append';
    if (isAppend) {
      if (!existing) throw new ItemError(`list ${name} has 'append' but no list by that name already exists`, map);
      existing.items = [...existing.items, ...items];
      return;
    }
    if (override && !existing) throw new ItemError(`list ${name} has 'override' but no list by that name already exists`, map);
    this.lists.set({ name, items, pos: existing?.pos ?? this.pos(map) });
  }

  private readMacro(map: YAMLMap): void {
    const name = requiredString(map, 'macro');
    const { append, override } = this.appendOverride(map, new Set(['condition']), new Set(['condition']));
    const condPair = pairOf(map, 'condition');
    if (!condPair) throw new ItemError(`missing required key 'condition'`, map);
    const condition = conditionText(condPair, `macro ${name}`);
    const existing = this.macros.get(name);
    if (append || override?.get('condition') === 'append') {
      if (!existing) throw new ItemError(`macro ${name} has 'append' but no macro by that name already exists`, map);
      existing.condition = `${existing.condition} ${condition}`;
      return;
    }
    if (override && !existing) throw new ItemError(`macro ${name} has 'override' but no macro by that name already exists`, map);
    this.macros.set({ name, condition, pos: existing?.pos ?? this.pos(map), condPos: this.pos(condPair.value as YamlNode) });
  }

  /** Validates `append` / `override` and returns them (Falco refuses both on one item). */
  private appendOverride(map: YAMLMap, appendable: Set<string>, replaceable: Set<string>): { append: boolean; override?: Map<string, 'append' | 'replace'> } {
    const appendPair = pairOf(map, 'append');
    const overridePair = pairOf(map, 'override');
    const append = appendPair ? scalarValue(appendPair.value as YamlNode) === true : false;
    if (appendPair && typeof scalarValue(appendPair.value as YamlNode) !== 'boolean') throw new ItemError(`'append' must be true or false`, appendPair.value as YamlNode);
    if (!overridePair) return { append };
    if (append) throw new ItemError(`keys 'override' and 'append: true' cannot be used together`, overridePair.key as YamlNode);
    if (!isMap(overridePair.value)) throw new ItemError(`'override' must be a mapping of key: append|replace`, overridePair.value as YamlNode);
    const override = new Map<string, 'append' | 'replace'>();
    for (const p of (overridePair.value as YAMLMap).items) {
      const key = String(scalarValue(p.key as YamlNode));
      const how = scalarValue(p.value as YamlNode);
      if (how !== 'append' && how !== 'replace') throw new ItemError(`override of '${key}' must be 'append' or 'replace', got ${JSON.stringify(how)}`, p.value as YamlNode);
      if (how === 'append' && !appendable.has(key)) throw new ItemError(`key '${key}' cannot be appended to, only replaced`, p.key as YamlNode);
      if (how === 'replace' && !replaceable.has(key)) throw new ItemError(`key '${key}' cannot be replaced`, p.key as YamlNode);
      if (!pairOf(map, key)) throw new ItemError(`key '${key}' appears in 'override' but is not defined in the item`, p.key as YamlNode);
      override.set(key, how);
    }
    for (const p of map.items) {
      const key = String(scalarValue(p.key as YamlNode));
      if (['rule', 'macro', 'list', 'override'].includes(key)) continue;
      if (!override.has(key)) throw new ItemError(`key '${key}' has no 'override' entry (with 'override', every other key must be listed in it)`, p.key as YamlNode);
    }
    return { append, override };
  }

  private readRule(map: YAMLMap): void {
    const name = requiredString(map, 'rule');
    const { append, override } = this.appendOverride(map, RULE_APPENDABLE, RULE_REPLACEABLE);
    const existing = this.rules.get(name);
    const keys = new Set(map.items.map((p) => String(scalarValue(p.key as YamlNode))));
    const exceptions = pairOf(map, 'exceptions') ? this.readExceptions(map) : undefined;

    if (append || override) {
      if (!existing) throw new ItemError(`rule ${name} has 'append' or 'override' but no rule by that name already exists`, map);
      const how = (key: string): 'append' | 'replace' | undefined => (append ? (keys.has(key) ? 'append' : undefined) : override?.get(key));
      if (append) {
        for (const k of keys) if (!['rule', 'append', ...RULE_APPENDABLE].includes(k)) throw new ItemError(`key '${k}' cannot be appended to a rule (appendable: ${[...RULE_APPENDABLE].join(', ')})`, mustPair(map, k).key as YamlNode);
      }
      for (const key of ['condition', 'output', 'desc'] as const) {
        const h = how(key);
        if (!h) continue;
        const text = key === 'condition' ? conditionText(mustPair(map, key), `rule ${name}`) : requiredString(map, key);
        existing[key] = h === 'append' ? `${existing[key]} ${text}` : text;
        if (key === 'condition' && h === 'replace') existing.condPos = this.pos(mustPair(map, key).value as YamlNode);
        if (key === 'output' && h === 'replace') existing.outputPos = this.pos(mustPair(map, key).value as YamlNode);
      }
      if (how('tags')) existing.tags = how('tags') === 'append' ? [...existing.tags, ...readTags(map)] : readTags(map);
      if (how('exceptions') === 'replace') existing.exceptions = exceptions ?? [];
      else if (how('exceptions') === 'append') existing.exceptions = mergeExceptions(existing.exceptions, exceptions ?? [], mustPair(map, 'exceptions').value as YamlNode);
      if (how('priority')) existing.priority = readPriority(map);
      if (how('enabled')) existing.enabled = readBool(map, 'enabled', true);
      if (how('warn_evttypes')) existing.warnEvttypes = readBool(map, 'warn_evttypes', true);
      if (how('skip-if-unknown-filter')) existing.skipIfUnknownFilter = readBool(map, 'skip-if-unknown-filter', false);
      return;
    }

    // `- rule: X\n  enabled: false` toggles an existing rule without redefining it.
    if ([...keys].every((k) => k === 'rule' || k === 'enabled') && keys.has('enabled')) {
      if (!existing) throw new ItemError(`rule ${name} has only 'enabled' but no rule by that name already exists`, map);
      existing.enabled = readBool(map, 'enabled', true);
      this.report('warning', this.pos(map), "an item with only 'enabled' is deprecated: use 'override: {enabled: replace}'", `rule ${name}`);
      return;
    }

    for (const key of ['condition', 'output', 'desc', 'priority']) {
      if (!keys.has(key)) throw new ItemError(`missing required key '${key}'`, map);
    }
    for (const e of exceptions ?? []) {
      if (e.fields === undefined) throw new ItemError(`exception ${e.name} has no 'fields'`, mustPair(map, 'exceptions').value as YamlNode);
    }
    const condPair = mustPair(map, 'condition');
    this.rules.set({
      name,
      desc: requiredString(map, 'desc'),
      condition: conditionText(condPair, `rule ${name}`),
      output: requiredString(map, 'output'),
      priority: readPriority(map),
      source: pairOf(map, 'source') ? requiredString(map, 'source') : 'syscall',
      enabled: readBool(map, 'enabled', true),
      tags: readTags(map),
      exceptions: exceptions ?? [],
      warnEvttypes: readBool(map, 'warn_evttypes', true),
      skipIfUnknownFilter: readBool(map, 'skip-if-unknown-filter', false),
      pos: existing?.pos ?? this.pos(map),
      condPos: this.pos(condPair.value as YamlNode),
      outputPos: this.pos(mustPair(map, 'output').value as YamlNode),
    });
  }

  private readExceptions(map: YAMLMap): ExceptionInfo[] {
    const node = mustPair(map, 'exceptions').value as YamlNode;
    if (!isSeq(node)) throw new ItemError(`'exceptions' must be a sequence`, node);
    return node.items.map((raw) => {
      const ex = raw as YamlNode;
      if (!isMap(ex)) throw new ItemError(`each exception must be a mapping`, ex);
      const exMap = ex as YAMLMap;
      const name = requiredString(exMap, 'name');
      const fieldsNode = pairOf(exMap, 'fields')?.value as YamlNode | undefined;
      const compsNode = pairOf(exMap, 'comps')?.value as YamlNode | undefined;
      const valuesNode = pairOf(exMap, 'values')?.value as YamlNode | undefined;
      const fields = fieldsNode === undefined ? undefined : toStringOrList(fieldsNode, `fields of exception ${name}`);
      const comps = compsNode === undefined ? undefined : toStringOrList(compsNode, `comps of exception ${name}`);
      const values = valuesNode === undefined || (isScalar(valuesNode) && valuesNode.value === null) ? [] : (valuesNode.toJSON() as unknown);
      if (!Array.isArray(values)) throw new ItemError(`values of exception ${name} must be a sequence`, valuesNode);
      if (fields !== undefined) validateException({ name, fields, comps, values }, ex);
      return { name, fields, comps, values };
    });
  }

  compile(): LoadResult {
    const compiled: CompiledRule[] = [];
    const lists = new Map<string, string[]>();
    // Lists may reference lists defined before them (by position).
    for (const list of this.lists.items) {
      const items: string[] = [];
      for (const item of list.items) {
        const ref = lists.get(item);
        if (ref) items.push(...ref);
        else items.push(item);
      }
      lists.set(list.name, items);
    }
    const macroDefs = new Map<string, MacroDefinition>();
    const macroInfos = this.macros.items;
    macroInfos.forEach((m, index) => {
      try {
        macroDefs.set(m.name, { name: m.name, ast: parseCondition(m.condition), index });
      } catch (error) {
        if (!(error instanceof ConditionSyntaxError)) throw error;
        this.report('error', this.offsetPos(m.condPos, error.offset), error.message, `macro ${m.name}`);
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
        this.report('error', this.offsetPos(macroInfos[m.index].condPos, error.offset), error.message, `macro ${m.name}`);
      }
    }

    this.rules.items.forEach((rule, index) => {
      const label = `rule ${rule.name}`;
      const fields = this.sources.get(rule.source);
      if (!fields) {
        this.report('warning', rule.pos, `unknown source '${rule.source}': rule skipped`, label);
        return;
      }
      let ast: CondNode;
      try {
        ast = parseCondition(rule.condition);
      } catch (error) {
        if (!(error instanceof ConditionSyntaxError)) throw error;
        this.report('error', this.offsetPos(rule.condPos, error.offset), error.message, label);
        return;
      }
      const scope: CompileScope = { fields, lists, macros: macroDefs, usedMacros, usedLists };
      try {
        const withExceptions = applyExceptions(ast, rule.exceptions);
        const predicate = compileCondition(withExceptions, scope, this.backend);
        let output: CompiledOutput;
        try {
          output = compileOutput(rule.output, fields);
        } catch (error) {
          if (!(error instanceof CompileError)) throw error;
          this.report('error', error.offset !== undefined && error.offset <= rule.output.length ? this.offsetPos(rule.outputPos, error.offset) : rule.outputPos, error.message, label);
          return;
        }
        const eventTypes: TypeSet = rule.source === 'syscall' ? conditionEventTypes(expandMacros(withExceptions, scope)) : { neg: true, set: new Set() };
        if (rule.source === 'syscall' && eventTypes.neg && rule.warnEvttypes) {
          this.report('warning', rule.pos, 'rule matches too many evt.type values: it runs on every event, a significant performance penalty', label);
        }
        if (rule.source === 'syscall' && !eventTypes.neg && eventTypes.set.size === 0 && rule.warnEvttypes) {
          this.report('warning', rule.pos, 'rule matches no evt.type value: it can never trigger', label);
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
          this.report('warning', rule.pos, `${error.message}: rule skipped (skip-if-unknown-filter)`, label);
          return;
        }
        const macro = error.macro !== undefined ? macroInfos.find((m) => m.name === error.macro) : undefined;
        if (macro) {
          // The problem is in a macro's text: point there, and say which rule uses it.
          this.report('error', this.offsetPos(macro.condPos, error.offset), error.message, `macro ${macro.name}`);
          return;
        }
        const pos = error.offset !== undefined && error.offset <= rule.condition.length ? this.offsetPos(rule.condPos, error.offset) : rule.condPos;
        this.report('error', pos, error.message, label);
      }
    });
    for (const m of macroInfos) if (!usedMacros.has(m.name)) this.report('warning', m.pos, 'macro not referenced by any rule', `macro ${m.name}`);
    const referencedByLists = new Set(this.lists.items.flatMap((l) => l.items));
    for (const l of this.lists.items) {
      if (!usedLists.has(l.name) && !referencedByLists.has(l.name)) this.report('warning', l.pos, 'list not referenced by any rule', `list ${l.name}`);
    }
    return { rules: compiled, errors: this.errors, warnings: this.warnings, infos: this.infos };
  }

  private offsetPos(pos: SourcePos, offset: number | undefined): SourcePos {
    if (offset === undefined || !pos.singleLine) return pos;
    return { ...pos, col: pos.col + offset };
  }
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

function validateException(ex: ExceptionInfo, node: YamlNode): void {
  if (Array.isArray(ex.fields)) {
    if (ex.comps !== undefined && !Array.isArray(ex.comps)) throw new ItemError(`exception ${ex.name}: 'fields' is a list so 'comps' must be a list too`, node);
    if (Array.isArray(ex.comps) && ex.comps.length !== ex.fields.length) throw new ItemError(`exception ${ex.name}: 'fields' and 'comps' lists must have the same length`, node);
    ex.values.forEach((v, i) => {
      if (!Array.isArray(v)) throw new ItemError(`exception ${ex.name}: value #${i + 1} must be a list with one item per field`, node);
      if (v.length !== (ex.fields as string[]).length) throw new ItemError(`exception ${ex.name}: value #${i + 1} has ${v.length} items but there are ${(ex.fields as string[]).length} fields`, node);
    });
  } else if (ex.comps !== undefined) {
    if (Array.isArray(ex.comps)) throw new ItemError(`exception ${ex.name}: 'fields' is a single field so 'comps' must be a single operator`, node);
    // Falco docs (rules/exceptions): the single-field form needs a set operator.
    if (!LIST_OPERATORS.has(ex.comps)) throw new ItemError(`exception ${ex.name}: with a single field, 'comps' must be one of in, pmatch, intersects (got '${ex.comps}')`, node);
  }
  const comps = ex.comps === undefined ? [] : Array.isArray(ex.comps) ? ex.comps : [ex.comps];
  const known = new Set(['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'pmatch', 'in', 'intersects', 'regex', 'exists']);
  for (const c of comps) if (!known.has(c)) throw new ItemError(`exception ${ex.name}: unknown comparison operator '${c}'`, node);
}

function mergeExceptions(existing: ExceptionInfo[], added: ExceptionInfo[], node: YamlNode): ExceptionInfo[] {
  const out = existing.map((e) => ({ ...e, values: [...e.values] }));
  for (const a of added) {
    const match = out.find((e) => e.name === a.name);
    if (match) {
      if (a.fields !== undefined || a.comps !== undefined) throw new ItemError(`exception ${a.name}: an appended exception with an existing name may only add values`, node);
      match.values.push(...a.values);
    } else {
      if (a.fields === undefined) throw new ItemError(`exception ${a.name} is new and has no 'fields'`, node);
      out.push(a);
    }
  }
  return out;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function pairOf(map: YAMLMap, key: string): Pair<YamlNode, YamlNode> | undefined {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair<YamlNode, YamlNode> | undefined;
}

/** The pair for a key the caller has already seen in the item. */
function mustPair(map: YAMLMap, key: string): Pair<YamlNode, YamlNode> {
  const p = pairOf(map, key);
  if (!p) throw new ItemError(`missing '${key}'`, map);
  return p;
}

function scalarValue(node: YamlNode | null | undefined): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return node.value;
  return node.toJSON();
}

function requiredString(map: YAMLMap, key: string): string {
  const p = pairOf(map, key);
  if (!p) throw new ItemError(`missing '${key}'`, map);
  const v = scalarValue(p.value);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw new ItemError(`'${key}' must be a string`, p.value ?? map);
  return v;
}

function conditionText(pair: Pair<YamlNode, YamlNode>, item: string): string {
  const v = scalarValue(pair.value);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  throw new ItemError(`'condition' of ${item} must be a string`, pair.value);
}

function readBool(map: YAMLMap, key: string, fallback: boolean): boolean {
  const p = pairOf(map, key);
  if (!p) return fallback;
  const v = scalarValue(p.value);
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ItemError(`'${key}' must be true or false, got ${JSON.stringify(v)}`, p.value);
}

function readPriority(map: YAMLMap): Priority {
  const text = requiredString(map, 'priority');
  const p = parsePriority(text);
  if (!p) throw new ItemError(`invalid priority '${text}' (expected one of emergency, alert, critical, error, warning, notice, informational, debug)`, mustPair(map, 'priority').value);
  return p;
}

function readTags(map: YAMLMap): string[] {
  const p = pairOf(map, 'tags');
  if (!p) return [];
  const v = scalarValue(p.value);
  if (v === null) return [];
  if (!Array.isArray(v)) throw new ItemError(`'tags' must be a sequence`, p.value);
  return v.map(String);
}

function toStringOrList(node: YamlNode, what: string): string | string[] {
  const v = scalarValue(node);
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new ItemError(`${what} must be a string or a list of strings`, node);
}

function itemLabel(node: YamlNode): string | undefined {
  if (!isMap(node)) return undefined;
  for (const kind of ['rule', 'macro', 'list']) {
    const p = pairOf(node as YAMLMap, kind);
    if (p) return `${kind} ${String(scalarValue(p.value))}`;
  }
  return undefined;
}
