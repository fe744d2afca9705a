/**
 * A field extracted from an event. `undefined` means "not available" (Falco's extraction
 * failure): every comparison on it is false, `exists` is false and outputs print `<NA>`.
 */
export type FieldValue = string | number | boolean | readonly string[] | undefined;

/** Value kinds, mirroring the libsinsp parameter types that change how comparisons work. */
/** `list`: multi-valued (`in` = all values in the set, `intersects` = any); `anylist`: `proc.aname` without argument, true when any value matches. */
export type FieldType = 'string' | 'number' | 'bool' | 'ipaddr' | 'ipnet' | 'list' | 'anylist';

/** Reads one field from one event. Built once per (field, argument) at compile time. */
export type FieldAccessor<E = unknown> = (event: E) => FieldValue;

export interface FieldDefinition<E = unknown> {
  readonly name: string;
  readonly type: FieldType;
  /** `required`: `ka.uri.param[x]`; `optional`: `proc.aname` and `proc.aname[2]`; `none`. */
  readonly arg: 'none' | 'required' | 'optional';
  readonly description?: string;
  /**
   * Set when the field is read straight from one key of a flat event object (coerced to the
   * field type): the code generator then inlines the property read instead of calling `accessor`.
   */
  readonly rawKey?: string;
  /** Type when used without an argument, if different (`proc.aname` alone is any-ancestor). */
  readonly typeWithoutArg?: FieldType;
  accessor(arg: string | undefined): FieldAccessor<E>;
}

/** The fields of one event source (`syscall`, `k8s_audit`). */
export interface FieldSource<E = unknown> {
  readonly source: string;
  lookup(name: string): FieldDefinition<E> | undefined;
  /** Falco-style event type of an event, used by the rule index; undefined for sources without types. */
  eventType?(event: E): string | undefined;
}

export function fieldSourceFrom<E>(source: string, definitions: readonly FieldDefinition<E>[], eventType?: (event: E) => string | undefined): FieldSource<E> {
  const byName = new Map(definitions.map((d) => [d.name, d]));
  return { source, lookup: (name) => byName.get(name), eventType };
}
