/*
 * Arguments whose values must never be written anywhere (the audit log records every mutation
 * with its variables and query text): a password, a private key. A plugin declares them for its
 * field when its module loads; the host replaces their values, literal or through a variable,
 * before it records the operation. The registry lives on a `Symbol.for` key of globalThis, so a
 * plugin bundling its own copy of the SDK declares into the host's.
 */

const REGISTRY = Symbol.for('bulkhead.sensitive-arguments');

function registry(): Map<string, Set<string>> {
  const holder = globalThis as unknown as Record<symbol, Map<string, Set<string>> | undefined>;
  return (holder[REGISTRY] ??= new Map<string, Set<string>>());
}

/** Declares arguments of the GraphQL field `field` (e.g. a mutation name) whose values are secrets. */
export function declareSensitiveArguments(field: string, args: readonly string[]): void {
  const known = registry().get(field) ?? new Set<string>();
  for (const arg of args) known.add(arg);
  registry().set(field, known);
}

/** For the host: the sensitive arguments of `field`, if any were declared. */
export function sensitiveArgumentsOf(field: string): ReadonlySet<string> | undefined {
  return registry().get(field);
}
