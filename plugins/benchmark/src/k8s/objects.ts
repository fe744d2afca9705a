/**
 * Kubernetes manifests arrive as untyped YAML/JSON. These helpers read them with the same
 * nil/zero-value semantics Go's JSON decoding gives the upstream code: a missing or `null` field
 * is nil, `{}` is a non-nil empty struct, and a value of the wrong type counts as absent.
 */
export type KObject = Record<string, unknown>;

export function isObject(value: unknown): value is KObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `value`, or undefined when it is nil (missing, null, or not an object). */
export function obj(value: unknown): KObject | undefined {
  return isObject(value) ? value : undefined;
}

/** The objects of a list; non-object entries are skipped. */
export function objs(value: unknown): KObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/** A string field; Go decodes a missing string as "". */
export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function strs(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** True only for a boolean `true` (a *bool that is set and true). */
export function isTrue(value: unknown): boolean {
  return value === true;
}

/** True only for a boolean `false` (a *bool that is set and false). */
export function isFalse(value: unknown): boolean {
  return value === false;
}

/** Present in the Go sense: a pointer field that is not nil. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Record<string,string> fields such as labels and annotations; non-string values are dropped. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const o = obj(value);
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string') out[k] = v;
  return out;
}
