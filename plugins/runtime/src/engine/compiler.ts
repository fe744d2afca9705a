import type { CondNode } from './ast';
import { compileClosures } from './closures';
import { generatePredicate } from './codegen';
import type { CompileScope, Predicate } from './compile-scope';
import { expandMacros } from './macros';

// The condition compiler, in concepts: compile-scope (what a condition is compiled against, and
// its errors), macros (expansion with Falco's visibility), field-resolution (fields, transformers,
// lists), event-types (which evt.type values a condition can match), and two backends: codegen
// (the default) and closures.
export { CompileError, type CompileScope, type MacroDefinition, type Predicate } from './compile-scope';
export { expandMacros } from './macros';
export { conditionEventTypes, type TypeSet } from './event-types';
export { resolveField, expandListItems, type ResolvedField } from './field-resolution';

/**
 * Compiles an (unexpanded) condition into a predicate, once. Macros are expanded inline. The
 * default backend generates one specialised JavaScript function per condition (codegen.ts);
 * `closures` builds a tree of specialised closures instead (same semantics, used to cross-check).
 */
export function compileCondition(node: CondNode, scope: CompileScope, backend: 'codegen' | 'closures' = 'codegen'): Predicate {
  const expanded = expandMacros(node, scope);
  return backend === 'codegen' ? generatePredicate(expanded, scope) : compileClosures(expanded, scope);
}
