import { GraphQLJSON } from '@bulkhead/plugin-sdk/api';
import { GraphQLID, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, getIntrospectionQuery, parse, type OperationDefinitionNode } from 'graphql';
import { checkOperation, LARGE_FIELD_COST, type RequestLimits } from './request-limits';

// As Nest builds it: `complexity` in the field's extensions (the SDK's Task.result).
const Task = new GraphQLObjectType({
  name: 'Task',
  fields: { id: { type: GraphQLID }, result: { type: GraphQLJSON, extensions: { complexity: LARGE_FIELD_COST } }, input: { type: GraphQLJSON } },
});
const TaskEdge = new GraphQLObjectType({ name: 'TaskEdge', fields: { cursor: { type: GraphQLString }, node: { type: Task } } });
const TaskConnection = new GraphQLObjectType({ name: 'TaskConnection', fields: { edges: { type: new GraphQLList(TaskEdge) }, totalCount: { type: GraphQLInt } } });
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      task: { type: Task, args: { id: { type: new GraphQLNonNull(GraphQLID) } } },
      tasks: { type: TaskConnection, args: { first: { type: GraphQLInt }, after: { type: GraphQLString } } },
      // A page whose `first` declares a default (Task.logs: 200).
      bigPages: { type: TaskConnection, args: { first: { type: GraphQLInt, defaultValue: 200 } } },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: { submitTask: { type: Task, args: { input: { type: new GraphQLNonNull(GraphQLJSON) }, note: { type: GraphQLString } } } },
  }),
});
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

  it('counts large fields, JSON fields and pages into the cost', () => {
    const results = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: task(id: "${i}") { result }`).join(' ')} }`;
    // result costs LARGE_FIELD_COST (4000): 4 × 4002 fits in 20 000, 5 × 4002 does not.
    expect(check(results(4))).toBeUndefined();
    expect(check(results(5))?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost', max: 20_000 });
    // input is an ordinary JSON field (10): a page of 500 inputs is 500 × 13 + 1.
    expect(check('{ tasks(first: 500) { edges { node { input } } } }')).toBeUndefined();
    expect(check('query($n: Int) { tasks(first: $n) { edges { node { result } } } }', { n: 5 })?.extensions).toMatchObject({ limit: 'cost' });
  });

  it("counts an omitted first at the argument's declared default, else at the stores' default", () => {
    // Per page: 1 + first × (edges 1 + cursor 1 + node 1 + input 10 + id 1): 701 at the stores' 50, 2,801 at a declared 200.
    const inputs = (field: string, n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: ${field} { edges { cursor node { input id } } }`).join(' ')} }`;
    expect(check(inputs('tasks', 8))).toBeUndefined();
    expect(check(inputs('tasks', 28))).toBeUndefined();
    expect(check(inputs('bigPages', 7))).toBeUndefined();
    expect(check(inputs('bigPages', 8))?.extensions).toMatchObject({ limit: 'cost' });
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
