import { LIST_OPERATORS, type CondNode, type ValueItem } from './ast';
import { compileFieldComparisonClosure } from './closures';
import { CompileError, withOrigin, type CompileScope, type Predicate } from './compile-scope';
import { expandListItems, resolveField } from './field-resolution';
import { buildScalarTest, OperatorError } from './operators';
import { asBool, asNumber, asString } from '../fields/values';
import type { FieldType } from '../fields/types';

/**
 * Compiles an expanded condition into ONE JavaScript function per rule.
 *
 * Why generated code rather than a tree of closures: a closure tree calls through shared,
 * megamorphic call sites and reads fields with variable keys, so V8 cannot inline or specialise
 * it. Generated code reads `e["proc.name"]` with a constant key at its own inline-cache site and
 * inlines every operator, which is what reaches >1M events/s. Only constants produced here are
 * embedded in the source, always through JSON.stringify; everything else (sets, regexps,
 * accessors for derived fields) is passed in as parameters, never as text.
 */
export function generatePredicate(expanded: CondNode, scope: CompileScope): Predicate {
  const gen = new Generator(scope);
  const body = gen.node(expanded);
  if (body === 'true') return () => true;
  if (body === 'false') return () => false;
  const temps = gen.temps > 0 ? `let ${Array.from({ length: gen.temps }, (_, i) => `t${i}`).join(', ')};` : '';
  const source = `"use strict"; return function rulePredicate(e) { ${temps} return ${body}; };`;
  const factory = new Function('S', 'N', 'B', ...gen.paramNames, source) as (...args: unknown[]) => Predicate;
  return factory(asString, asNumber, asBool, ...gen.params);
}

const lit = (v: string | number | boolean): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

class Generator {
  readonly params: unknown[] = [];
  readonly paramNames: string[] = [];
  temps = 0;

  constructor(private readonly scope: CompileScope) {}

  private param(value: unknown): string {
    const name = `p${this.params.length}`;
    this.params.push(value);
    this.paramNames.push(name);
    return name;
  }

  node(n: CondNode): string {
    switch (n.kind) {
      case 'and':
      case 'or': {
        const parts = flatten(n, n.kind).map((c) => this.node(c));
        const absorbing = n.kind === 'and' ? 'false' : 'true';
        const neutral = n.kind === 'and' ? 'true' : 'false';
        if (parts.includes(absorbing)) return absorbing;
        const live = parts.filter((p) => p !== neutral);
        if (live.length === 0) return neutral;
        return live.length === 1 ? live[0] : `(${live.join(n.kind === 'and' ? ' && ' : ' || ')})`;
      }
      case 'not': {
        const inner = this.node(n.child);
        if (inner === 'true') return 'false';
        if (inner === 'false') return 'true';
        return `!(${inner})`;
      }
      case 'macro':
        throw new CompileError(`unexpanded macro '${n.name}'`, n.pos);
      case 'check':
        return withOrigin(n, () => this.check(n));
    }
  }

  private check(n: Extract<CondNode, { kind: 'check' }>): string {
    const fields = this.scope.fields;
    const { accessor, type } = resolveField(n.field, fields);
    const def = fields.lookup(n.field.name);
    if (n.value?.kind === 'field') return `${this.param(compileFieldComparisonClosure(n, accessor, type, this.scope))}(e)`;
    const t = `t${this.temps++}`;
    // `present` assigns the value to t and is true when the field is available (Falco's extraction).
    let present: string;
    const raw = def?.rawKey !== undefined && n.field.transformers.length === 0 && n.field.arg === undefined ? def.rawKey : undefined;
    if (raw !== undefined && (type === 'string' || type === 'ipaddr' || type === 'ipnet')) {
      present = `(typeof (${t} = e[${lit(raw)}]) === "string" || (${t} = S(${t})) !== undefined)`;
    } else if (raw !== undefined && type === 'number') {
      present = `(typeof (${t} = e[${lit(raw)}]) === "number" || (${t} = N(${t})) !== undefined)`;
    } else if (raw !== undefined && type === 'bool') {
      present = `(typeof (${t} = e[${lit(raw)}]) === "boolean" || (${t} = B(${t})) !== undefined)`;
    } else {
      present = `((${t} = ${this.param(accessor)}(e)) !== undefined)`;
    }
    if (n.op === 'exists') return type === 'list' || type === 'anylist' ? `(${present} && ${t}.length > 0)` : present;

    const value = n.value;
    if (!value) throw new CompileError(`operator '${n.op}' needs a value`, n.pos);
    let items = value.kind === 'list' ? expandListItems(value.items, this.scope) : [(value.item as ValueItem).text];
    if (value.kind === 'value' && LIST_OPERATORS.has(n.op)) items = expandListItems([value.item], this.scope);
    if (LIST_OPERATORS.has(n.op) && items.length === 0) return 'false'; // `x in ()` never matches
    const elementType: FieldType = type === 'list' || type === 'anylist' ? 'string' : type;
    let test: (v: string | number | boolean) => boolean;
    try {
      test = buildScalarTest(elementType, n.op, items);
    } catch (error) {
      if (error instanceof OperatorError) throw new CompileError(`${n.field.name}: ${error.message}`, n.pos);
      throw error;
    }
    if (type === 'list') {
      const f = this.param(test);
      return n.op === 'in' ? `(${present} && ${t}.length > 0 && ${t}.every(${f}))` : `(${present} && ${t}.some(${f}))`;
    }
    if (type === 'anylist') return `(${present} && ${t}.some(${this.param(test)}))`;
    return `(${present} && ${this.inlineTest(t, elementType, n.op, items, test)})`;
  }

  /** The operator as inline JavaScript where that is simple and exact, else a call to the prebuilt test. */
  private inlineTest(t: string, type: FieldType, op: string, items: string[], test: (v: string | number | boolean) => boolean): string {
    if (type === 'string') {
      const c = lit(items[0] ?? '');
      switch (op) {
        case '=':
          return `${t} === ${c}`;
        case '!=':
          return `${t} !== ${c}`;
        case '<':
        case '<=':
        case '>':
        case '>=':
          return `${t} ${op} ${c}`;
        case 'contains':
          return `${t}.includes(${c})`;
        case 'startswith':
          return `${t}.startsWith(${c})`;
        case 'endswith':
          return `${t}.endsWith(${c})`;
        case 'in':
        case 'intersects': {
          const unique = [...new Set(items)];
          if (unique.length <= 3) return `(${unique.map((u) => `${t} === ${lit(u)}`).join(' || ')})`;
          return `${this.param(new Set(unique))}.has(${t})`;
        }
      }
    }
    if (type === 'number' || type === 'bool') {
      const values = items.map((x) => (type === 'number' ? (asNumber(x) as number) : x === 'true'));
      switch (op) {
        case '=':
          return `${t} === ${lit(values[0])}`;
        case '!=':
          return `${t} !== ${lit(values[0])}`;
        case '<':
        case '<=':
        case '>':
        case '>=':
          return `${t} ${op} ${lit(values[0])}`;
        case 'in':
        case 'intersects': {
          const unique = [...new Set(values)];
          if (unique.length <= 3) return `(${unique.map((u) => `${t} === ${lit(u)}`).join(' || ')})`;
          return `${this.param(new Set(unique))}.has(${t})`;
        }
      }
    }
    return `${this.param(test)}(${t})`;
  }
}

function flatten(node: CondNode, kind: 'and' | 'or'): CondNode[] {
  if (node.kind !== kind) return [node];
  return node.children.flatMap((c) => flatten(c, kind));
}
