import type { CondNode } from './ast';
import type { FieldSource } from '../fields/types';

/** A compiled condition: a function of the event, built once. */
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

export interface MacroDefinition {
  name: string;
  ast: CondNode;
  /** Load order; a macro sees only macros with a lower index (Falco's macro visibility). */
  index: number;
}

/** What a condition is compiled against: its event source's fields, the lists and the macros. */
export interface CompileScope {
  fields: FieldSource<unknown>;
  /** Lists, already expanded (lists referencing earlier lists are flattened). */
  lists: ReadonlyMap<string, readonly string[]>;
  macros: ReadonlyMap<string, MacroDefinition>;
  usedMacros?: Set<string>;
  usedLists?: Set<string>;
}
