import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed GraphQL documents for the console, generated from the API's committed schema
 * (libs/api/schema.graphql). Run `npx nx run console:codegen` after changing a query or the
 * schema; src/codegen.spec.ts fails when the committed output is stale.
 */
export const CODEGEN_CONFIG: CodegenConfig = {
  schema: 'libs/api/schema.graphql',
  documents: ['apps/console/src/**/*.tsx', 'apps/console/src/**/*.ts', '!apps/console/src/gql/**', '!apps/console/src/**/*.spec.ts', '!apps/console/src/e2e/**'],
  generates: {
    'apps/console/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: 'string', JSON: 'unknown' } },
    },
  },
  ignoreNoDocuments: false,
};

export default CODEGEN_CONFIG;
