import { CompileError } from './compile-scope';
import { resolveField } from './field-resolution';
import { formatFieldValue } from '../fields/values';
import type { FieldAccessor, FieldSource, FieldValue } from '../fields/types';

export type OutputFieldValue = string | number | boolean | null;

/** A rule's `output`, compiled once: literal text and field accessors. */
export interface CompiledOutput {
  /** The output text with `%field` replaced (missing values print `<NA>`). */
  format(event: unknown): string;
  /** `output_fields` of Falco's JSON alert: each field's value, `null` when missing. */
  fields(event: unknown): Record<string, OutputFieldValue>;
}

type Part = string | { key: string; accessor: FieldAccessor<unknown> };

const FIELD_CHARS = /[A-Za-z0-9_.]/;

/**
 * Compiles Falco output syntax: `%proc.name`, `%proc.aname[2]`, `%jevt.value[/a/b]`, `%(fd.name)`.
 * Like libsinsp's formatter, the longest prefix that names a known field is the field and any
 * remaining characters (`%evt.type.` → `evt.type` + `.`) are literal text.
 */
export function compileOutput(text: string, fields: FieldSource<unknown>): CompiledOutput {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '%') {
      literal += c;
      i++;
      continue;
    }
    let j = i + 1;
    let name: string;
    let arg: string | undefined;
    let rest = '';
    if (text[j] === '(') {
      const end = text.indexOf(')', j);
      if (end < 0) throw new CompileError(`unterminated '%(' in output at offset ${i}`, i);
      const inner = text.slice(j + 1, end).trim();
      const m = /^([A-Za-z0-9_.]+)(?:\[(.*)\])?$/.exec(inner);
      if (!m) throw new CompileError(`invalid output field '%(${inner})'`, i);
      name = m[1];
      arg = m[2];
      j = end + 1;
    } else {
      while (j < text.length && FIELD_CHARS.test(text[j])) j++;
      const run = text.slice(i + 1, j);
      if (run === '') {
        literal += '%';
        i++;
        continue;
      }
      name = run;
      while (!fields.lookup(name) && name.includes('.')) name = name.slice(0, name.lastIndexOf('.'));
      if (!fields.lookup(name)) throw new CompileError(`invalid output field '%${run}': unknown field for source ${fields.source}`, i);
      rest = run.slice(name.length);
      if (rest === '' && text[j] === '[') {
        const end = text.indexOf(']', j);
        if (end < 0) throw new CompileError(`unterminated argument of output field '%${name}'`, i);
        arg = text.slice(j + 1, end);
        j = end + 1;
      }
    }
    const { accessor } = resolveField({ name, arg, transformers: [], pos: i }, fields);
    if (literal) parts.push(literal);
    parts.push({ key: arg === undefined ? name : `${name}[${arg}]`, accessor });
    literal = rest;
    i = j;
  }
  if (literal) parts.push(literal);
  const fieldParts = parts.filter((p): p is Exclude<Part, string> => typeof p !== 'string');
  return {
    format(event) {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : formatFieldValue(safe(p.accessor, event));
      return out;
    },
    fields(event) {
      const out: Record<string, OutputFieldValue> = {};
      for (const p of fieldParts) {
        const v = safe(p.accessor, event);
        out[p.key] = v === undefined ? null : Array.isArray(v) ? formatFieldValue(v) : (v as OutputFieldValue);
      }
      return out;
    },
  };
}

function safe(accessor: FieldAccessor<unknown>, event: unknown): FieldValue {
  try {
    return accessor(event);
  } catch {
    return undefined;
  }
}
