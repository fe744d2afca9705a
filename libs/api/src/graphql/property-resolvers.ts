import { TypeMetadataStorage } from '@nestjs/graphql';
import { isObjectType, type GraphQLSchema } from 'graphql';

/**
 * The resolver Nest gives every plain `@Field` of an object type
 * (`ObjectTypeDefinitionFactory.createFieldResolver`), whitespace folded. A unit test holds it to
 * the installed Nest's, so an upgrade that changes it fails there instead of silently keeping
 * every resolver.
 */
export const NEST_PROPERTY_RESOLVER = "(root) => { const value = root[field.name]; return typeof value === 'undefined' ? field.options.defaultValue : value; }";

const folded = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Removes the resolvers Nest puts on plain `@Field` properties, leaving GraphQL's default
 * resolver, which reads the same property. Equivalent where the property and the field have the
 * same name and no default value is declared (fields where any type declares otherwise keep
 * theirs). Why: a field with a resolver costs graphql-jit (compiled-queries.ts) a resolve-info
 * object, a promise check and an error handler for every row, where a field without one is a
 * property read compiled inline; a 50-finding page allocated ~160 KB a request in those alone.
 * `@ResolveField` resolvers, field middleware and root fields are other functions and stay.
 */
export function dropPropertyResolvers(schema: GraphQLSchema): GraphQLSchema {
  const keep = new Set<string>();
  for (const type of [...TypeMetadataStorage.getObjectTypesMetadata(), ...TypeMetadataStorage.getInterfacesMetadata()]) {
    for (const property of type.properties ?? []) {
      if (property.name !== property.schemaName || property.options.defaultValue !== undefined) keep.add(property.schemaName);
    }
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.resolve && !keep.has(field.name) && folded(field.resolve.toString()) === NEST_PROPERTY_RESOLVER) field.resolve = undefined;
    }
  }
  return schema;
}
