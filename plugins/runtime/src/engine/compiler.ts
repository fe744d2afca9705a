import { LIST_OPERATORS, type CondNode, type FieldRef, type ValueItem } from './ast';
import { buildScalarTest, OperatorError, type ScalarTest } from './operators';
import { basename } from '../fields/values';
import { generatePredicate } from './codegen';
import type { FieldAccessor, FieldSource, FieldType, FieldValue } from '../fields/types';

/** A compiled condition: one closure per AST node, built once. */
export type Predicate = (event: unknown) => boolean;

export class CompileError extends Error {
  override readonly name = 'CompileError';
  constructor(
    message: string,
    /** Offset in the condition text where the problem is, when known. */
    readonly offset?: number,
    /** The macro whose condition text `offset` refers to (undefined: the rule's own condition). */
    readonly macro?: string,
  ) {
    super(message);
  }
}

/** Re-throws a compile error of a check that came from a macro, naming that macro. */
export function withOrigin<T>(node: { origin?: string }, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof CompileError && node.origin && error.macro === undefined) throw new CompileError(error.message, error.offset, node.origin);
    throw error;
  }
}

function tagOrigin(node: CondNode, origin: string): CondNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, children: node.children.map((c) => tagOrigin(c, origin)) };
    case 'not':
      return { kind: 'not', child: tagOrigin(node.child, origin) };
    case 'check':
      return node.origin ? node : { ...node, origin };
    default:
      return node;
  }
}

export interface MacroDefinition {
  name: string;
  ast: CondNode;
  /** Load order; a macro sees only macros with a lower index (Falco's macro visibility). */
  index: number;
}

export interface CompileScope {
  fields: FieldSource<unknown>;
  /** Lists, already expanded (lists referencing earlier lists are flattened). */
  lists: ReadonlyMap<string, readonly string[]>;
  macros: ReadonlyMap<string, MacroDefinition>;
  usedMacros?: Set<string>;
  usedLists?: Set<string>;
}

/** Event types a condition can match: `neg` means "all types except `set`". */
export interface TypeSet {
  neg: boolean;
  set: ReadonlySet<string>;
}
const ALL: TypeSet = { neg: true, set: new Set() };

const TRUE: Predicate = () => true;
const FALSE: Predicate = () => false;

/** Resolves macros (respecting visibility) and returns the fully expanded AST. */
export function expandMacros(node: CondNode, scope: CompileScope, visibility = Infinity, stack: string[] = []): CondNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, children: node.children.map((c) => expandMacros(c, scope, visibility, stack)) };
    case 'not':
      return { kind: 'not', child: expandMacros(node.child, scope, visibility, stack) };
    case 'macro': {
      const m = scope.macros.get(node.name);
      if (!m || m.index >= visibility) {
        throw new CompileError(m ? `macro '${node.name}' is used before it is defined` : `undefined macro '${node.name}' used in filter`, node.pos);
      }
      if (stack.includes(node.name)) throw new CompileError(`macro '${node.name}' refers to itself`, node.pos);
      scope.usedMacros?.add(node.name);
      try {
        return tagOrigin(expandMacros(m.ast, scope, m.index, [...stack, node.name]), node.name);
      } catch (error) {
        if (error instanceof CompileError && error.macro === undefined) throw new CompileError(error.message, error.offset, node.name);
        throw error;
      }
    }
    case 'check':
      return node;
  }
}

/** Event types (`evt.type`) the condition can match, computed exactly with can-be-true/can-be-false sets. */
export function conditionEventTypes(node: CondNode): TypeSet {
  return typeSets(node).t;
}

function typeSets(node: CondNode): { t: TypeSet; f: TypeSet } {
  switch (node.kind) {
    case 'not': {
      const inner = typeSets(node.child);
      return { t: inner.f, f: inner.t };
    }
    case 'and': {
      const parts = node.children.map(typeSets);
      return { t: parts.map((p) => p.t).reduce(intersect), f: parts.map((p) => p.f).reduce(union) };
    }
    case 'or': {
      const parts = node.children.map(typeSets);
      return { t: parts.map((p) => p.t).reduce(union), f: parts.map((p) => p.f).reduce(intersect) };
    }
    case 'check': {
      const f = node.field;
      if (f.name !== 'evt.type' || f.arg !== undefined || f.transformers.length || !node.value || node.value.kind === 'field') return { t: ALL, f: ALL };
      const items = node.value.kind === 'list' ? node.value.items.map((i) => i.text) : [node.value.item.text];
      const set = new Set(items);
      if (node.op === '=' || node.op === 'in' || node.op === 'intersects') return { t: { neg: false, set }, f: { neg: true, set } };
      if (node.op === '!=') return { t: { neg: true, set }, f: { neg: false, set } };
      return { t: ALL, f: ALL };
    }
    case 'macro':
      return { t: ALL, f: ALL };
  }
}

function intersect(a: TypeSet, b: TypeSet): TypeSet {
  if (!a.neg && !b.neg) return { neg: false, set: new Set([...a.set].filter((x) => b.set.has(x))) };
  if (!a.neg) return { neg: false, set: new Set([...a.set].filter((x) => !b.set.has(x))) };
  if (!b.neg) return { neg: false, set: new Set([...b.set].filter((x) => !a.set.has(x))) };
  return { neg: true, set: new Set([...a.set, ...b.set]) };
}

function union(a: TypeSet, b: TypeSet): TypeSet {
  if (!a.neg && !b.neg) return { neg: false, set: new Set([...a.set, ...b.set]) };
  if (a.neg && b.neg) return { neg: true, set: new Set([...a.set].filter((x) => b.set.has(x))) };
  const pos = a.neg ? b : a;
  const neg = a.neg ? a : b;
  return { neg: true, set: new Set([...neg.set].filter((x) => !pos.set.has(x))) };
}

export interface ResolvedField {
  accessor: FieldAccessor<unknown>;
  type: FieldType;
}

/** Looks a field up in the source and applies its transformers; throws CompileError naming the problem. */
export function resolveField(ref: FieldRef, fields: FieldSource<unknown>): ResolvedField {
  const def = fields.lookup(ref.name);
  if (!def) throw new CompileError(`unknown field '${ref.name}' for source ${fields.source}`, ref.pos);
  if (def.arg === 'required' && ref.arg === undefined) throw new CompileError(`field '${ref.name}' requires an argument`, ref.pos);
  if (def.arg === 'none' && ref.arg !== undefined) throw new CompileError(`field '${ref.name}' does not take an argument`, ref.pos);
  let accessor: FieldAccessor<unknown>;
  try {
    accessor = def.accessor(ref.arg);
  } catch (error) {
    throw new CompileError(`field '${ref.name}[${ref.arg ?? ''}]': ${(error as Error).message}`, ref.pos);
  }
  let type = ref.arg === undefined && def.typeWithoutArg ? def.typeWithoutArg : def.type;
  for (const t of ref.transformers) {
    const inner = accessor;
    const map = transformer(t);
    accessor = (e) => {
      const v = inner(e);
      if (v === undefined) return undefined;
      return Array.isArray(v) ? (v as string[]).map((x) => map(x) as string) : map(v as string | number | boolean);
    };
    if (t === 'len') type = type === 'list' ? 'number' : 'number';
    else if (type === 'number' || type === 'bool') throw new CompileError(`transformer ${t}() needs a string field, '${ref.name}' is ${type}`, ref.pos);
  }
  return { accessor, type };
}

function transformer(name: string): (v: string | number | boolean) => FieldValue {
  switch (name) {
    case 'tolower':
      return (v) => String(v).toLowerCase();
    case 'toupper':
      return (v) => String(v).toUpperCase();
    case 'b64':
      return (v) => Buffer.from(String(v), 'base64').toString('utf8');
    case 'basename':
      return (v) => basename(String(v));
    default:
      return (v) => String(v).length;
  }
}

/**
 * Compiles an (unexpanded) condition into a predicate, once. Macros are expanded inline. The
 * default backend generates one specialised JavaScript function per condition (codegen.ts);
 * `closures` builds a tree of specialised closures instead (same semantics, used to cross-check).
 */
export function compileCondition(node: CondNode, scope: CompileScope, backend: 'codegen' | 'closures' = 'codegen'): Predicate {
  const expanded = expandMacros(node, scope);
  return backend === 'codegen' ? generatePredicate(expanded, scope) : compileNode(expanded, scope);
}

function compileNode(node: CondNode, scope: CompileScope): Predicate {
  switch (node.kind) {
    case 'and':
      return andOf(flatten(node, 'and').map((c) => compileNode(c, scope)));
    case 'or':
      return orOf(flatten(node, 'or').map((c) => compileNode(c, scope)));
    case 'not': {
      const inner = compileNode(node.child, scope);
      if (inner === TRUE) return FALSE;
      if (inner === FALSE) return TRUE;
      return (e) => !inner(e);
    }
    case 'macro':
      throw new CompileError(`unexpanded macro '${node.name}'`, node.pos);
    case 'check':
      return withOrigin(node, () => compileCheck(node, scope));
  }
}

function flatten(node: CondNode, kind: 'and' | 'or'): CondNode[] {
  if (node.kind !== kind) return [node];
  return node.children.flatMap((c) => flatten(c, kind));
}

// Fixed-arity specialisations avoid a loop and an array read per child on the hot path.
function andOf(ps: Predicate[]): Predicate {
  if (ps.includes(FALSE)) return FALSE;
  const live = ps.filter((p) => p !== TRUE);
  const [a, b, c, d] = live as [Predicate, Predicate, Predicate, Predicate];
  switch (live.length) {
    case 0:
      return TRUE;
    case 1:
      return a;
    case 2:
      return (e) => a(e) && b(e);
    case 3:
      return (e) => a(e) && b(e) && c(e);
    case 4:
      return (e) => a(e) && b(e) && c(e) && d(e);
    default: {
      const rest = andOf(live.slice(3));
      return (e) => a(e) && b(e) && c(e) && rest(e);
    }
  }
}

function orOf(ps: Predicate[]): Predicate {
  if (ps.includes(TRUE)) return TRUE;
  const live = ps.filter((p) => p !== FALSE);
  const [a, b, c, d] = live as [Predicate, Predicate, Predicate, Predicate];
  switch (live.length) {
    case 0:
      return FALSE;
    case 1:
      return a;
    case 2:
      return (e) => a(e) || b(e);
    case 3:
      return (e) => a(e) || b(e) || c(e);
    case 4:
      return (e) => a(e) || b(e) || c(e) || d(e);
    default: {
      const rest = orOf(live.slice(3));
      return (e) => a(e) || b(e) || c(e) || rest(e);
    }
  }
}

/** Expands list names among the items (unquoted items only), recording which lists were used. */
export function expandListItems(items: readonly ValueItem[], scope: CompileScope): string[] {
  const out: string[] = [];
  for (const item of items) {
    const list = item.quoted ? undefined : scope.lists.get(item.text);
    if (list) {
      scope.usedLists?.add(item.text);
      out.push(...list);
    } else out.push(item.text);
  }
  return out;
}

function compileCheck(node: Extract<CondNode, { kind: 'check' }>, scope: CompileScope): Predicate {
  const { accessor, type } = resolveField(node.field, scope.fields);
  const op = node.op;
  if (op === 'exists') {
    if (type === 'list' || type === 'anylist') {
      return (e) => {
        const v = accessor(e) as readonly string[] | undefined;
        return v !== undefined && v.length > 0;
      };
    }
    return (e) => accessor(e) !== undefined;
  }
  const value = node.value;
  if (!value) throw new CompileError(`operator '${op}' needs a value`, node.pos);
  if (value.kind === 'field') return compileFieldComparisonClosure(node, accessor, type, scope);
  const items = value.kind === 'list' ? expandListItems(value.items, scope) : expandListItems([value.item], scope).slice(0, 1);
  if (value.kind === 'value' && !LIST_OPERATORS.has(op) && scope.lists.has(value.item.text) && !value.item.quoted) {
    // A list name on the right of a scalar operator is a literal in Falco, not an expansion.
    items.splice(0, items.length, value.item.text);
  }
  if (LIST_OPERATORS.has(op) && items.length === 0) return FALSE; // `x in ()` never matches
  const elementType: FieldType = type === 'list' || type === 'anylist' ? 'string' : type;
  let test: ScalarTest;
  try {
    test = buildScalarTest(elementType, op, items);
  } catch (error) {
    if (error instanceof OperatorError) throw new CompileError(`${node.field.name}: ${error.message}`, node.pos);
    throw error;
  }
  if (type === 'list') return listCheck(accessor, op, test);
  if (type === 'anylist') return anyOf(accessor, test);
  return scalarCheck(accessor, op, type, items, test);
}

/** Scalar fields; the commonest shapes get a closure without the generic test indirection. */
function scalarCheck(accessor: FieldAccessor<unknown>, op: string, type: FieldType, items: string[], test: ScalarTest): Predicate {
  if (type === 'string') {
    if (op === '=') {
      const c = items[0];
      return (e) => accessor(e) === c;
    }
    if (op === '!=') {
      const c = items[0];
      return (e) => {
        const v = accessor(e);
        return v !== undefined && v !== c;
      };
    }
    if (op === 'in' || op === 'intersects') {
      const set = new Set(items);
      return (e) => set.has(accessor(e) as string);
    }
    if (op === 'startswith') {
      const c = items[0];
      return (e) => {
        const v = accessor(e);
        return v !== undefined && (v as string).startsWith(c);
      };
    }
    if (op === 'contains') {
      const c = items[0];
      return (e) => {
        const v = accessor(e);
        return v !== undefined && (v as string).includes(c);
      };
    }
  }
  return (e) => {
    const v = accessor(e);
    return v !== undefined && test(v as string | number | boolean);
  };
}

/**
 * List fields (libsinsp EPF_IS_LIST): `in` is true when every value is in the set, `intersects`
 * when any is. Other operators are accepted for the legacy k8s audit rules (which used
 * `contains` on lists) with the legacy meaning: true when any value matches.
 */
function listCheck(accessor: FieldAccessor<unknown>, op: string, test: ScalarTest): Predicate {
  if (op === 'in') {
    return (e) => {
      const v = accessor(e) as readonly string[] | undefined;
      if (v === undefined || v.length === 0) return false;
      for (const x of v) if (!test(x)) return false;
      return true;
    };
  }
  return anyOf(accessor, test);
}

function anyOf(accessor: FieldAccessor<unknown>, test: ScalarTest): Predicate {
  return (e) => {
    const v = accessor(e) as readonly string[] | undefined;
    if (v === undefined) return false;
    for (const x of v) if (test(x)) return true;
    return false;
  };
}

/** `field op val(other.field)`: the right-hand side is extracted from the same event. */
export function compileFieldComparisonClosure(node: Extract<CondNode, { kind: 'check' }>, accessor: FieldAccessor<unknown>, type: FieldType, scope: CompileScope): Predicate {
  const rhs = resolveField((node.value as { field: FieldRef }).field, scope.fields);
  const elementType: FieldType = type === 'list' || type === 'anylist' ? 'string' : type;
  try {
    buildScalarTest(elementType, node.op, ['0']);
  } catch (error) {
    if (error instanceof OperatorError && /not supported/.test(error.message)) throw new CompileError(`${node.field.name}: ${error.message}`, node.pos);
  }
  return (e) => {
    const l = accessor(e);
    const r = rhs.accessor(e);
    if (l === undefined || r === undefined) return false;
    const values = Array.isArray(r) ? (r as string[]) : [String(r)];
    try {
      const test = buildScalarTest(elementType, node.op, values);
      if (Array.isArray(l)) return type === 'list' && node.op === 'in' ? (l as string[]).every(test) : (l as string[]).some(test);
      return test(l as string | number | boolean);
    } catch {
      return false;
    }
  };
}
