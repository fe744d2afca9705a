import { ApolloServer } from '@apollo/server';
import { buildSchema, parse, type GraphQLFieldResolver, type GraphQLObjectType } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { CompiledQueriesPlugin } from './compiled-queries';

const schemaText = `
  type Query { hello(name: String!): String!, boom: String, counter: Int! }
  type Mutation { bump: Int! }
`;

/** A server whose resolvers count their runs, so a test sees which executor ran what and how often. */
function server(options: ConstructorParameters<typeof CompiledQueriesPlugin>[0]) {
  const schema = buildSchema(schemaText);
  const plugin = new CompiledQueriesPlugin(options);
  const runs = { hello: 0, boom: 0, bump: 0 };
  // Resolvers on the schema, as Nest builds it (the plugin passes no rootValue).
  const resolvers: Record<string, GraphQLFieldResolver<unknown, unknown, { name: string }>> = {
    hello: (_root, { name }: { name: string }) => {
      runs.hello++;
      return `hello ${name}`;
    },
    boom: () => {
      runs.boom++;
      throw new Error('boom');
    },
    counter: () => 1,
    bump: () => ++runs.bump,
  };
  for (const type of [schema.getQueryType(), schema.getMutationType()] as GraphQLObjectType[]) {
    for (const field of Object.values(type.getFields())) field.resolve = resolvers[field.name];
  }
  const apollo = new ApolloServer({ schema, plugins: [plugin], stringifyResult: JSON.stringify });
  const run = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await apollo.executeOperation({ query, variables });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult;
  };
  return { plugin, runs, apollo, run };
}

describe('CompiledQueriesPlugin', () => {
  it('compiles a query after its first run and answers the same', async () => {
    const { plugin, runs, apollo, run } = server({ maxEntries: 10 });
    await apollo.start();
    const query = 'query($n: String!) { hello(name: $n) }';
    const answers = [await run(query, { n: 'a' }), await run(query, { n: 'b' }), await run(query, { n: 'c' })];
    expect(answers.map((a) => a.data)).toEqual([{ hello: 'hello a' }, { hello: 'hello b' }, { hello: 'hello c' }]);
    expect(plugin.stats).toEqual({ compiled: 2, fallbacks: 0 });
    expect(runs.hello).toBe(3);
    await apollo.stop();
  });

  it('lets graphql-js answer a query that errs, so the error is formatted as always', async () => {
    const { plugin, runs, apollo, run } = server({ maxEntries: 10 });
    await apollo.start();
    const first = await run('{ boom counter }');
    const second = await run('{ boom counter }');
    expect(second).toEqual(first);
    expect(first.errors?.[0]?.message).toBe('boom');
    expect(first.errors?.[0]?.path).toEqual(['boom']);
    expect(plugin.stats).toEqual({ compiled: 0, fallbacks: 1 });
    expect(runs.boom).toBe(3); // graphql-js, then compiled (dropped) and graphql-js again
    // Not compiled again: later runs go to graphql-js at once, one run each.
    expect(await run('{ boom counter }')).toEqual(first);
    expect(runs.boom).toBe(4);
    expect(plugin.stats).toEqual({ compiled: 0, fallbacks: 1 });
    await apollo.stop();
  });

  it('never compiles a mutation: each request runs it exactly once', async () => {
    const { plugin, runs, apollo, run } = server({ maxEntries: 10 });
    await apollo.start();
    for (let i = 1; i <= 3; i++) expect((await run('mutation { bump }')).data).toEqual({ bump: i });
    expect(runs.bump).toBe(3);
    expect(plugin.stats).toEqual({ compiled: 0, fallbacks: 0 });
    await apollo.stop();
  });

  it('keeps at most maxEntries compiled documents, the least recently used going first', async () => {
    const { plugin, apollo, run } = server({ maxEntries: 2 });
    await apollo.start();
    const docs = ['{ counter }', '{ a: counter }', '{ b: counter }'];
    for (const doc of docs) for (let i = 0; i < 2; i++) await run(doc); // each compiled on its second run
    expect(plugin.stats.compiled).toBe(3);
    await run(docs[0] as string); // evicted by the third: counted again, not compiled
    expect(plugin.stats.compiled).toBe(3);
    await run(docs[2] as string); // still held
    expect(plugin.stats.compiled).toBe(4);
    await apollo.stop();
  });

  it('does not compile a document over maxFields', async () => {
    const { plugin, apollo, run } = server({ maxEntries: 10, maxFields: 3 });
    await apollo.start();
    for (let i = 0; i < 3; i++) await run('{ a: counter b: counter c: counter d: counter }');
    expect(plugin.stats.compiled).toBe(0);
    for (let i = 0; i < 3; i++) await run('{ a: counter b: counter c: counter }');
    expect(plugin.stats.compiled).toBe(2);
    await apollo.stop();
  });

  it('compiles only while the compile budget lasts, and again once it has refilled', async () => {
    let clock = 0;
    // Each compile costs 10 ms of the fake clock; 1 ms a second, a burst of 5 ms.
    const compile: typeof compileQuery = (...args) => {
      clock += 10;
      return compileQuery(...args);
    };
    const { plugin, apollo, run } = server({ maxEntries: 10, budgetMsPerSecond: 1, now: () => clock, compile });
    await apollo.start();
    for (let i = 0; i < 2; i++) await run('{ a: counter }'); // compiled: the budget goes to 5 - 10 = -5 ms
    expect(plugin.stats.compiled).toBe(1);
    for (let i = 0; i < 3; i++) await run('{ b: counter }'); // over budget: graphql-js, counted
    expect(plugin.stats.compiled).toBe(1);
    clock += 6_000; // 6 s later: -5 + 6 = 1 ms left
    await run('{ b: counter }');
    expect(plugin.stats.compiled).toBe(2);
    await apollo.stop();
  });

  // The marker graphql-jit 0.8 turns back into `new Date(…)` in the code it generates (its execution.js).
  const INJECTION = '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d1)&&(globalThis.injected=(globalThis.injected||0)+1)||new Date(1';
  const injected = () => (globalThis as { injected?: number }).injected;

  it('shows why: graphql-jit on its own runs code smuggled in a string literal', async () => {
    const schema = buildSchema(schemaText);
    const compiled = compileQuery(schema, parse(`{ hello(name: ${JSON.stringify(INJECTION)}) }`));
    if (!isCompiledQuery(compiled)) throw new Error('expected graphql-jit to compile the document');
    delete (globalThis as { injected?: number }).injected;
    await compiled.query(undefined, {}, {});
    expect(injected()).toBe(1); // when graphql-jit stops doing this, this test says so
    delete (globalThis as { injected?: number }).injected;
  });

  it('never compiles a document that carries graphql-jit\'s markers, in a string (escaped or not) or a name', async () => {
    const { plugin, runs, apollo, run } = server({ maxEntries: 10 });
    await apollo.start();
    const escaped = INJECTION.replace('__MAGIC', '\\u005F_MAGIC');
    for (const query of [`{ hello(name: ${JSON.stringify(INJECTION)}) }`, `{ hello(name: "${escaped}") }`, `{ hello(name: """${INJECTION}""") }`, '{ __MAGIC_x: counter }']) {
      for (let i = 0; i < 3; i++) await run(query);
    }
    expect(injected()).toBeUndefined();
    expect(plugin.stats.compiled).toBe(0);
    expect(runs.hello).toBe(9);
    await apollo.stop();
  });

  it('is off with maxEntries 0', async () => {
    const { plugin, apollo, run } = server({ maxEntries: 0 });
    await apollo.start();
    for (let i = 0; i < 3; i++) expect((await run('{ counter }')).data).toEqual({ counter: 1 });
    expect(plugin.stats).toEqual({ compiled: 0, fallbacks: 0 });
    await apollo.stop();
  });
});
