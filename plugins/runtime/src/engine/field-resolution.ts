import type { FieldRef, ValueItem } from './ast';
import { CompileError, type CompileScope } from './compile-scope';
import { basename } from '../fields/values';
import type { FieldAccessor, FieldSource, FieldType, FieldValue } from '../fields/types';

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
