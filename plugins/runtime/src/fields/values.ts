import type { FieldValue } from './types';

/** Coerces a raw JSON value to a string field value (numbers and booleans print as Falco does). */
export function asString(v: unknown): FieldValue {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

export function asNumber(v: unknown): FieldValue {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') {
    const n = Number(v);
    return Number.isNaN(n) ? undefined : n;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

export function asBool(v: unknown): FieldValue {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (typeof v === 'number') return v !== 0;
  return undefined;
}

export function asStringList(v: unknown): FieldValue {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  return [asString(v) as string];
}

export function basename(path: string): string {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? trimmed : trimmed.slice(i + 1);
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return path.slice(0, i);
}

/** Formats a field value the way Falco prints it in outputs (lists as `(a,b)`). */
export function formatFieldValue(v: FieldValue): string {
  if (v === undefined) return '<NA>';
  if (Array.isArray(v)) return `(${v.join(',')})`;
  return String(v);
}
