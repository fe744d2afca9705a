import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { createLogger } from '@bulkhead/common';
import { lexicographicSortSchema, printSchema } from 'graphql';
import path from 'node:path';
import { API_RESOLVERS } from '../api.resolvers';
import { loadPluginApis, pluginNestModules, type ApiPluginPackage, type PluginNestModule } from '../plugin-apis/load-plugin-apis';

/** Where the printed schema is committed, for clients and code generators. */
export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

/** The command that rewrites SCHEMA_FILE, quoted in the drift test's failure message. */
export const REGENERATE_SCHEMA_COMMAND = 'BULKHEAD_WRITE_SCHEMA=1 npx jest --config jest.config.cjs apps/api/src/schema.spec.ts';

function providerClass(provider: Provider): Type<unknown> | undefined {
  if (typeof provider === 'function') return provider;
  return 'useClass' in provider ? provider.useClass : undefined;
}

/**
 * Every class a Nest module provides, its imports' included: the candidates for resolvers
 * (GraphQLSchemaFactory ignores the classes that are not).
 */
export function moduleProviderClasses(module: PluginNestModule, seen = new Set<unknown>()): Type<unknown>[] {
  const dynamic = typeof module === 'function' ? undefined : (module as DynamicModule);
  const moduleClass = dynamic ? dynamic.module : (module as Type<unknown>);
  if (seen.has(module)) return [];
  seen.add(module);
  const providers: Provider[] = [...((Reflect.getMetadata('providers', moduleClass) as Provider[] | undefined) ?? []), ...(dynamic?.providers ?? [])];
  const imports = [...((Reflect.getMetadata('imports', moduleClass) as unknown[] | undefined) ?? []), ...(dynamic?.imports ?? [])];
  const classes = providers.map(providerClass).filter((c): c is Type<unknown> => c !== undefined);
  for (const imported of imports) {
    if (typeof imported === 'function' || (typeof imported === 'object' && imported !== null && 'module' in imported)) {
      classes.push(...moduleProviderClasses(imported as PluginNestModule, seen));
    }
  }
  return classes;
}

/**
 * The API's schema in SDL: the core resolvers (the same list as ApiModule) and those of the
 * given plugin packages' api entries (loaded as startApi loads them), built without starting a
 * server or touching Postgres/Redis; sorted like the served schema (sortSchema).
 */
export async function printApiSchema(plugins: readonly ApiPluginPackage[] = [], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const logger = createLogger('schema', { level: 'silent' });
  const modules = pluginNestModules(await loadPluginApis(plugins, env), logger);
  const pluginResolvers = modules.flatMap((module) => moduleProviderClasses(module));
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    const schema = await app.get(GraphQLSchemaFactory).create([...API_RESOLVERS, ...pluginResolvers]);
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await app.close();
  }
}
