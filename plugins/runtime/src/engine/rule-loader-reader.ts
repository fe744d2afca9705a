import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode, type Pair, type Scalar, type YAMLMap } from 'yaml';
import semver from 'semver';
import { LIST_OPERATORS } from './ast';
import type { DiagnosticSink, SourcePos } from './diagnostics';
import { parsePriority, type Priority } from './priority';
import { ItemError, mergeExceptions, type ExceptionInfo, type RuleCollector } from './rule-loader-collector';

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

const RULE_APPENDABLE = new Set(['condition', 'output', 'desc', 'exceptions', 'tags']);
// Falco docs rules/overriding: what `override` may append to or replace on a rule.
const RULE_REPLACEABLE = new Set(['condition', 'output', 'desc', 'priority', 'tags', 'exceptions', 'enabled', 'warn_evttypes', 'skip-if-unknown-filter', 'capture', 'capture_duration']);

/**
 * The reader of the rules loader (Falco's rule_loader_reader): parses a rules file's YAML,
 * checks each item's shape and values, and hands the definitions to the collector. A broken item
 * is reported where it is and skipped; the rest of the file still loads.
 */
export class RulesReader {
  private file = '';
  private lineCounter = new LineCounter();

  constructor(
    private readonly collector: RuleCollector,
    private readonly sink: DiagnosticSink,
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

  readFile(file: RulesFile): void {
    this.file = file.name;
    this.lineCounter = new LineCounter();
    const doc = parseDocument(file.content, { lineCounter: this.lineCounter, uniqueKeys: false, prettyErrors: false });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const lp = e.linePos?.[0] ?? this.lineCounter.linePos(e.pos[0]);
        this.sink.report('error', { file: file.name, line: lp.line, col: lp.col, singleLine: false }, `YAML syntax error: ${e.message.split('\n')[0]}`);
      }
      return;
    }
    const root = doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return;
    if (!isSeq(root)) {
      this.sink.report('error', this.pos(root), 'rules file content is not a YAML sequence of items');
      return;
    }
    for (const item of root.items) {
      // An empty `-` entry is ignored, as Falco's YAML reader does.
      if (item === null || (isScalar(item) && (item as Scalar).value === null)) continue;
      try {
        this.readItem(item as YamlNode);
      } catch (error) {
        if (!(error instanceof ItemError)) throw error;
        this.sink.report('error', this.pos(error.node ?? (item as YamlNode)), error.message, itemLabel(item as YamlNode));
      }
    }
  }

  private readItem(node: YamlNode): void {
    if (!isMap(node)) throw new ItemError('item is not a YAML mapping', node);
    const map = node as YAMLMap;
    const keys = map.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key));
    if (keys.includes('required_engine_version')) return this.readEngineVersion(map);
    if (keys.includes('required_plugin_versions')) {
      this.sink.report('info', this.pos(node), 'required_plugin_versions is accepted and ignored: fields of the k8saudit, json and container plugins are built in');
      return;
    }
    if (keys.includes('list')) return this.readList(map);
    if (keys.includes('macro')) return this.readMacro(map);
    if (keys.includes('rule')) return this.readRule(map);
    this.sink.report('warning', this.pos(node), `unknown top-level item with keys ${keys.join(', ')}: skipped`);
  }

  private readEngineVersion(map: YAMLMap): void {
    const node = mustPair(map, 'required_engine_version');
    const required = engineVersionOf(scalarValue(node.value as YamlNode));
    if (required === undefined) {
      throw new ItemError(`required_engine_version must be a semver string or an integer, got ${JSON.stringify(scalarValue(node.value as YamlNode))}`, node.value as YamlNode);
    }
    if (semver.gt(required, ENGINE_VERSION)) {
      throw new ItemError(`rules require engine version ${required}, but engine version is ${ENGINE_VERSION}`, node.value as YamlNode);
    }
  }

  private readList(map: YAMLMap): void {
    const name = requiredString(map, 'list');
    const { append, override } = appendOverride(map, new Set(['items']), new Set(['items']));
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
    if (append || override?.get('items') === 'append') this.collector.appendToList(name, items);
    else this.collector.defineList({ name, items }, this.pos(map), override !== undefined);
  }

  private readMacro(map: YAMLMap): void {
    const name = requiredString(map, 'macro');
    const { append, override } = appendOverride(map, new Set(['condition']), new Set(['condition']));
    const condPair = pairOf(map, 'condition');
    if (!condPair) throw new ItemError(`missing required key 'condition'`, map);
    const condition = conditionText(condPair, `macro ${name}`);
    if (append || override?.get('condition') === 'append') this.collector.appendToMacro(name, condition);
    else this.collector.defineMacro({ name, condition, condPos: this.pos(condPair.value as YamlNode) }, this.pos(map), override !== undefined);
  }

  private readRule(map: YAMLMap): void {
    const name = requiredString(map, 'rule');
    const { append, override } = appendOverride(map, RULE_APPENDABLE, RULE_REPLACEABLE);
    const keys = new Set(map.items.map((p) => String(scalarValue(p.key as YamlNode))));
    const exceptions = pairOf(map, 'exceptions') ? readExceptions(map) : undefined;

    if (append || override) {
      const existing = this.collector.existingRule(name, "'append' or 'override'");
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
      const existing = this.collector.existingRule(name, "only 'enabled'");
      existing.enabled = readBool(map, 'enabled', true);
      this.sink.report('warning', this.pos(map), "an item with only 'enabled' is deprecated: use 'override: {enabled: replace}'", `rule ${name}`);
      return;
    }

    for (const key of ['condition', 'output', 'desc', 'priority']) {
      if (!keys.has(key)) throw new ItemError(`missing required key '${key}'`, map);
    }
    for (const e of exceptions ?? []) {
      if (e.fields === undefined) throw new ItemError(`exception ${e.name} has no 'fields'`, mustPair(map, 'exceptions').value as YamlNode);
    }
    const condPair = mustPair(map, 'condition');
    this.collector.defineRule(
      {
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
        condPos: this.pos(condPair.value as YamlNode),
        outputPos: this.pos(mustPair(map, 'output').value as YamlNode),
      },
      this.pos(map),
    );
  }
}

/**
 * `required_engine_version` as a semver version: Falco reads MAJOR.MINOR.PATCH (three numbers, no
 * pre-release or build part), or the old integer form N (also as a string), meaning 0.N.0.
 * Undefined when it is neither.
 */
function engineVersionOf(raw: unknown): string | undefined {
  if (typeof raw === 'number' && Number.isInteger(raw)) return `0.${raw}.0`;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return `0.${text}.0`;
  return /^\d+\.\d+\.\d+$/.test(text) ? (semver.coerce(text)?.version ?? undefined) : undefined;
}

/** Validates `append` / `override` and returns them (Falco refuses both on one item). */
function appendOverride(map: YAMLMap, appendable: Set<string>, replaceable: Set<string>): { append: boolean; override?: Map<string, 'append' | 'replace'> } {
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

function readExceptions(map: YAMLMap): ExceptionInfo[] {
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
