import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import path from 'node:path';
import { API_RESOLVERS } from '../api.resolvers';

/** Where the printed schema is committed, for clients and code generators. */
export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

/** The command that rewrites SCHEMA_FILE, quoted in the drift test's failure message. */
export const REGENERATE_SCHEMA_COMMAND = 'BULKHEAD_WRITE_SCHEMA=1 npx nx run api-lib:test --skip-nx-cache';

/**
 * The API's schema in SDL, built from the same resolver list as ApiModule without starting a
 * server or touching Postgres/Redis; sorted like the served schema (sortSchema).
 */
export async function printApiSchema(): Promise<string> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    const schema = await app.get(GraphQLSchemaFactory).create(API_RESOLVERS);
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await app.close();
  }
}
