import { Field, GraphQLSchemaBuilderModule, GraphQLSchemaFactory, ObjectType, Query, Resolver, ResolveField } from '@nestjs/graphql';
import { NestFactory } from '@nestjs/core';
import { execute, parse, type GraphQLObjectType } from 'graphql';
import { dropPropertyResolvers, NEST_PROPERTY_RESOLVER } from './property-resolvers';

@ObjectType()
class Gadget {
  @Field()
  id!: string;

  @Field({ name: 'label' })
  internalName!: string;

  @Field({ nullable: true, defaultValue: 'none' })
  colour?: string;

  @Field()
  computed!: string;
}

@Resolver(() => Gadget)
class GadgetResolver {
  @Query(() => [Gadget])
  gadgets(): Partial<Gadget>[] {
    return [{ id: 'g1', internalName: 'first' }, { id: 'g2', internalName: 'second', colour: 'red' }];
  }

  @ResolveField(() => String)
  computed(): string {
    return 'from a resolver';
  }
}

/** The schema Nest's code-first factory builds (the driver attaches the resolvers afterwards; the test does it by hand). */
async function buildSchema() {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    return await app.get(GraphQLSchemaFactory).create([GadgetResolver]);
  } finally {
    await app.close();
  }
}

describe('dropPropertyResolvers', () => {
  it("matches the resolver the installed Nest gives a plain @Field (fails on an upgrade that changes it)", async () => {
    const schema = await buildSchema();
    const resolve = (schema.getType('Gadget') as GraphQLObjectType).getFields()['id']?.resolve;
    expect(resolve?.toString().replace(/\s+/g, ' ').trim()).toBe(NEST_PROPERTY_RESOLVER);
  });

  it('drops only property resolvers the default resolver replaces exactly, and answers the same', async () => {
    const schema = await buildSchema();
    const fields = () => (schema.getType('Gadget') as GraphQLObjectType).getFields();
    const computed = () => 'from a resolver';
    // What Nest's resolver explorer attaches for @ResolveField and @Query.
    Object.assign(fields()['computed'] ?? {}, { resolve: computed });
    Object.assign((schema.getQueryType() as GraphQLObjectType).getFields()['gadgets'] ?? {}, { resolve: () => new GadgetResolver().gadgets() });
    const query = parse('{ gadgets { id label colour computed } }');
    const before = await execute({ schema, document: query });
    dropPropertyResolvers(schema);
    expect(fields()['id']?.resolve).toBeUndefined();
    expect(fields()['label']?.resolve).toBeDefined(); // property internalName, field label
    expect(fields()['colour']?.resolve).toBeDefined(); // a declared default
    expect(fields()['computed']?.resolve).toBe(computed);
    expect(await execute({ schema, document: query })).toEqual(before);
    expect(before.data).toEqual({
      gadgets: [
        { id: 'g1', label: 'first', colour: 'none', computed: 'from a resolver' },
        { id: 'g2', label: 'second', colour: 'red', computed: 'from a resolver' },
      ],
    });
  });
});
