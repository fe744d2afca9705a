import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * The field names selected under `path` (e.g. ['edges', 'node']) of the resolved field, across
 * every occurrence of it in the operation (aliases, fragment spreads, inline fragments). A field
 * under @include/@skip counts as selected: at worst a column is read that is not shown.
 */
export function selectedFieldsAt(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): Set<string> {
  let level: SelectionSetNode[] = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const name of path) {
    level = fieldsOf(level, info.fragments)
      .filter((field) => field.name.value === name)
      .flatMap((field) => (field.selectionSet ? [field.selectionSet] : []));
  }
  return new Set(fieldsOf(level, info.fragments).map((field) => field.name.value));
}

/** Whether `name` is selected directly on the resolved field. */
export function isFieldSelected(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, name: string): boolean {
  return selectedFieldsAt(info, []).has(name);
}

function fieldsOf(sets: readonly SelectionSetNode[], fragments: GraphQLResolveInfo['fragments'], seen = new Set<string>()): FieldNode[] {
  const out: FieldNode[] = [];
  for (const set of sets) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) out.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) out.push(...fieldsOf([selection.selectionSet], fragments, seen));
      else {
        const name = selection.name.value;
        const fragment = fragments[name];
        // Validation refuses fragment cycles; `seen` keeps a hostile document from looping anyway.
        if (!fragment || seen.has(name)) continue;
        out.push(...fieldsOf([fragment.selectionSet], fragments, new Set([...seen, name])));
      }
    }
  }
  return out;
}
