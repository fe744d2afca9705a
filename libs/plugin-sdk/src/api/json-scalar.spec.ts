import { parseValue, valueFromAST, type ValueNode } from 'graphql';
import { GraphQLJSON } from './graphql';

describe('JSON scalar', () => {
  it('reads inline literals of every JSON shape, with variables inside', () => {
    const ast = parseValue('{ source: "oci:/x", n: 3, f: 1.5, ok: true, none: null, list: [1, "a", { deep: $v }] }') as ValueNode;
    expect(valueFromAST(ast, GraphQLJSON, { v: ['from', 'variable'] })).toEqual({
      source: 'oci:/x',
      n: 3,
      f: 1.5,
      ok: true,
      none: null,
      list: [1, 'a', { deep: ['from', 'variable'] }],
    });
  });

  it('passes variable values and results through unchanged', () => {
    const value = { a: [1, { b: null }] };
    expect(GraphQLJSON.parseValue(value)).toBe(value);
    expect(GraphQLJSON.serialize(value)).toBe(value);
  });
});
