import type { CondNode } from './ast';
import { CompileError, type CompileScope } from './compile-scope';

/** Resolves macros (respecting visibility) and returns the fully expanded AST. */
export function expandMacros(node: CondNode, scope: CompileScope, visibility = Infinity, stack: string[] = []): CondNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, children: node.children.map((c) => expandMacros(c, scope, visibility, stack)) };
    case 'not':
      return { kind: 'not', child: expandMacros(node.child, scope, visibility, stack) };
    case 'macro': {
      const m = scope.macros.get(node.name);
      if (!m || m.index >= visibility) {
        throw new CompileError(m ? `macro '${node.name}' is used before it is defined` : `undefined macro '${node.name}' used in filter`, node.pos);
      }
      if (stack.includes(node.name)) throw new CompileError(`macro '${node.name}' refers to itself`, node.pos);
      scope.usedMacros?.add(node.name);
      try {
        return tagOrigin(expandMacros(m.ast, scope, m.index, [...stack, node.name]), node.name);
      } catch (error) {
        if (error instanceof CompileError && error.macro === undefined) throw new CompileError(error.message, error.offset, node.name);
        throw error;
      }
    }
    case 'check':
      return node;
  }
}

/** Marks the checks of an expanded macro with its name, so errors can point into the macro's text. */
function tagOrigin(node: CondNode, origin: string): CondNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, children: node.children.map((c) => tagOrigin(c, origin)) };
    case 'not':
      return { kind: 'not', child: tagOrigin(node.child, origin) };
    case 'check':
      return node.origin ? node : { ...node, origin };
    default:
      return node;
  }
}
