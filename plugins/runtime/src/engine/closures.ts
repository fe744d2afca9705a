import { LIST_OPERATORS, type CondNode, type FieldRef } from './ast';
import { CompileError, withOrigin, type CompileScope, type Predicate } from './compile-scope';
import { expandListItems, resolveField } from './field-resolution';
import { buildScalarTest, OperatorError, type ScalarTest } from './operators';
import type { FieldAccessor, FieldType } from '../fields/types';

/**
 * The closure-tree backend: one specialised closure per AST node, built once. Same semantics as
 * the generated code of codegen.ts, which is the default; this one cross-checks it, and compiles
 * the `field op val(other.field)` comparisons that codegen delegates here.
 */

const TRUE: Predicate = () => true;
const FALSE: Predicate = () => false;

/** Compiles an expanded condition (no macros left) into a tree of closures. */
export function compileClosures(node: CondNode, scope: CompileScope): Predicate {
  switch (node.kind) {
    case 'and':
      return andOf(flatten(node, 'and').map((c) => compileClosures(c, scope)));
    case 'or':
      return orOf(flatten(node, 'or').map((c) => compileClosures(c, scope)));
    case 'not': {
      const inner = compileClosures(node.child, scope);
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
