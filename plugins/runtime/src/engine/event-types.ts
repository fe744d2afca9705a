import type { CondNode } from './ast';

/** Event types a condition can match: `neg` means "all types except `set`". */
export interface TypeSet {
  neg: boolean;
  set: ReadonlySet<string>;
}
const ALL: TypeSet = { neg: true, set: new Set() };

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
