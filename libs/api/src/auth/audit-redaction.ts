import { sensitiveArgumentsOf } from '@bulkhead/plugin-sdk/api';
import { Kind, print, visit, type ArgumentNode, type DocumentNode } from 'graphql';

export const REDACTED = '[REDACTED]';

/**
 * The query text and variables of an operation as the audit log may keep them: the values of
 * arguments a plugin declared sensitive (declareSensitiveArguments) are replaced, whether written
 * in the query or passed as variables, wherever the field appears (fragments included).
 */
export function redactSensitiveArguments(
  document: DocumentNode | undefined,
  source: string | null,
  variables: Record<string, unknown>,
): { query: string | null; variables: Record<string, unknown> } {
  if (!document) return { query: source, variables };
  const hiddenVariables = new Set<string>();
  let changed = false;
  const redacted = visit(document, {
    Field(node) {
      const sensitive = sensitiveArgumentsOf(node.name.value);
      if (!sensitive || !node.arguments?.length) return undefined;
      const args = node.arguments.map((arg): ArgumentNode => {
        if (!sensitive.has(arg.name.value)) return arg;
        changed = true;
        if (arg.value.kind === Kind.VARIABLE) {
          hiddenVariables.add(arg.value.name.value);
          return arg;
        }
        return { ...arg, value: { kind: Kind.STRING, value: REDACTED } };
      });
      return { ...node, arguments: args };
    },
  });
  if (!changed) return { query: source, variables };
  const safeVariables = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, hiddenVariables.has(name) ? REDACTED : value]));
  return { query: print(redacted), variables: safeVariables };
}
