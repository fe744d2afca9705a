import { buildSchema, execute, parse, type GraphQLResolveInfo } from 'graphql';
import { isFieldSelected, selectedFieldsAt } from './selected-fields';

const schema = buildSchema(`
  type Node { id: ID a: String b: String c: String }
  type Edge { node: Node }
  type Conn { totalCount: Int edges: [Edge] }
  type Query { list: Conn }
`);

/** The resolve info of `list` for a document (through graphql's own executor). */
function infoOf(document: string): GraphQLResolveInfo {
  let captured: GraphQLResolveInfo | undefined;
  execute({
    schema,
    document: parse(document),
    variableValues: { x: false },
    rootValue: {
      list: (_args: unknown, _context: unknown, info: GraphQLResolveInfo) => {
        captured = info;
        return null;
      },
    },
  });
  if (!captured) throw new Error('list was not resolved');
  return captured;
}

describe('selectedFieldsAt', () => {
  it('collects node fields across aliases, fragments and inline fragments', () => {
    const info = infoOf(`{ list { edges { node { id ...F x: a } } more: edges { node { ... on Node { c } } } } } fragment F on Node { b }`);
    expect(selectedFieldsAt(info, ['edges', 'node'])).toEqual(new Set(['id', 'a', 'b', 'c']));
    expect(isFieldSelected(info, 'totalCount')).toBe(false);
  });

  it('sees totalCount however it is asked for', () => {
    expect(isFieldSelected(infoOf('{ list { n: totalCount } }'), 'totalCount')).toBe(true);
    expect(isFieldSelected(infoOf('{ list { ...C } } fragment C on Conn { totalCount }'), 'totalCount')).toBe(true);
    // Under @include(if: false) it is still counted as selected: at worst a count nobody reads.
    expect(isFieldSelected(infoOf('query($x: Boolean!) { list { totalCount @include(if: $x) } }'), 'totalCount')).toBe(true);
  });
});
