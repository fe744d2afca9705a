import { buildSchema, getIntrospectionQuery, parse, type OperationDefinitionNode } from 'graphql';
import { checkOperation, JSON_FIELD_COST, type RequestLimits } from './request-limits';

const schema = buildSchema(`
  scalar JSON
  type Task { id: ID! result: JSON input: JSON }
  type TaskEdge { cursor: String! node: Task! }
  type TaskConnection { edges: [TaskEdge!]! totalCount: Int! }
  type Query { task(id: ID!): Task tasks(first: Int, after: String): TaskConnection! }
  type Mutation { submitTask(input: JSON!, note: String): Task! }
`);
const limits: RequestLimits = { maxDepth: 15, maxAliases: 30, maxCost: 20_000, maxPageSize: 500 };

function check(query: string, variables?: Record<string, unknown>) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  if (!operation) throw new Error('no operation');
  return checkOperation(schema, document, operation, variables, limits);
}

describe('checkOperation', () => {
  it('lets ordinary queries and the standard introspection query through', () => {
    expect(check('{ tasks(first: 500) { totalCount edges { cursor node { id } } } }')).toBeUndefined();
    expect(check('{ task(id: "1") { id result input } }')).toBeUndefined();
    expect(check(getIntrospectionQuery())).toBeUndefined();
  });

  it('refuses too many aliases, naming the setting', () => {
    const query = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expect(check(query)?.message).toBe('query uses 31 aliases; at most 30 are allowed (BULKHEAD_GRAPHQL_MAX_ALIASES)');
    expect(check(query)?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'aliases' });
  });

  it('refuses nesting deeper than the limit, introspection included', () => {
    const deep = `{ __type(name: "Task") { ${'ofType { '.repeat(49)}name${' }'.repeat(49)} } }`;
    expect(check(deep)?.message).toMatch(/nested deeper than 15 levels .*BULKHEAD_GRAPHQL_MAX_DEPTH/);
  });

  it('counts JSON fields and pages into the cost', () => {
    // 30 task results: 30 × (1 + 1 + JSON_FIELD_COST) > 20 000 would be refused only past ~39.
    expect(check(`{ ${Array.from({ length: 30 }, (_, i) => `t${i}: task(id: "${i}") { result }`).join(' ')} }`)).toBeUndefined();
    expect(JSON_FIELD_COST).toBe(500);
    const page = check('query($n: Int) { tasks(first: $n) { edges { node { result } } } }', { n: 100 });
    expect(page?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost', max: 20_000 });
  });

  it('stops counting a fragment bomb at the limit', () => {
    const fragments = Array.from({ length: 20 }, (_, i) => `fragment F${i} on Task { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const started = Date.now();
    const problem = check(`{ task(id: "1") { ...F0 } } ${fragments} fragment F20 on Task { result }`);
    expect(problem?.extensions).toMatchObject({ limit: 'cost' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a page over the maximum, from a literal or a variable', () => {
    expect(check('{ tasks(first: 1000000) { totalCount } }')?.message).toBe('tasks: first must be at most 500 (got 1000000); fetch further pages with `after`');
    expect(check('query($n: Int) { tasks(first: $n) { totalCount } }', { n: 501 })?.extensions).toMatchObject({ limit: 'first', max: 500 });
  });

  it('refuses NUL characters in arguments and variables, naming where', () => {
    expect(check('mutation { submitTask(input: {}, note: "a\\u0000b") { id } }')?.message).toBe('submitTask(note) contains a NUL character (\\u0000), which cannot be stored');
    expect(check('mutation($i: JSON!) { submitTask(input: $i) { id } }', { i: { source: { path: ['ok', 'x\u0000'] } } })?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: '$i.source.path[1]',
    });
    expect(check('mutation($i: JSON!) { submitTask(input: $i) { id } }', { i: { 'k\u0000': 1 } })?.message).toMatch(/^\$i \(a key\) contains a NUL/);
  });
});
