import nx from '@nx/eslint-plugin';
import importX from 'eslint-plugin-import-x';
import { fileURLToPath } from 'node:url';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// Module boundaries (docs/ and libs/*/README.md), by Nx project tags:
//   type:app            apps/*: use anything but other apps.
//   type:host           libs/api, the API process body: libraries only, never a plugin (a plugin's
//                       surface reaches it through the plugin's own `api` entry, loaded at run time).
//   type:bundle         libs/builtin-plugins, the one list of built-in plugins: the only library
//                       that may import plugins; apps use it.
//   type:plugin         plugins/*: only the SDK (scope:sdk) and the plugin-support libraries.
//   type:plugin-support libraries written for plugins (libs/oci, libs/vulndb, libs/signing): only the SDK and
//                       each other.
//   type:lib            the core libraries (persistence, queue, worker, common) and
//                       the SDK. The SDK (scope:sdk) depends on nothing of ours so that it can be
//                       published alone.
//   type:test-support   libs/testing: helpers for tests and benchmarks (see the test files block).
//   type:tool, type:bench.
const PRODUCTION_CONSTRAINTS = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:plugin-support', 'type:plugin', 'type:bundle', 'type:host'] },
  { sourceTag: 'type:host', onlyDependOnLibsWithTags: ['type:lib', 'type:plugin-support'] },
  { sourceTag: 'type:bundle', onlyDependOnLibsWithTags: ['type:plugin', 'type:plugin-support', 'type:lib'] },
  { sourceTag: 'type:plugin', onlyDependOnLibsWithTags: ['scope:sdk', 'type:plugin-support'] },
  { sourceTag: 'type:plugin-support', onlyDependOnLibsWithTags: ['scope:sdk', 'type:plugin-support'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:plugin-support'] },
  { sourceTag: 'type:test-support', onlyDependOnLibsWithTags: ['scope:sdk', 'type:plugin-support'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
  // bench/: measures plugins, libraries and the API in process, like an app would.
  { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:lib', 'type:plugin-support', 'type:plugin', 'type:bundle', 'type:host', 'type:test-support'] },
  { sourceTag: 'scope:sdk', onlyDependOnLibsWithTags: ['scope:sdk'] },
  { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:sdk', 'scope:core'] },
];

// Tests may also use libs/testing (shared-data lookup, prebuilt test images); production code may not.
// (The SDK's own tests stay within the SDK: it is published alone.)
const TEST_CONSTRAINTS = PRODUCTION_CONSTRAINTS.map((c) =>
  c.sourceTag === 'scope:sdk' || c.sourceTag === 'type:test-support' ? c : { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:test-support'] },
);

// A plugin's entries are loaded separately: its main entry (task handlers) statically, its `cli`
// and `api` entries lazily with import(), so `bulkhead --help` never loads an engine. They are
// different modules of one project, not one library loaded both ways.
const boundaries = (depConstraints) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], checkDynamicDependenciesExceptions: ['@bulkhead/plugin-*'], depConstraints },
];

// Files that exist for tests and benchmarks only: they may use the `/testing` entries.
const TEST_FILES = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.test.ts', '**/testing/**/*.ts', '**/testing.ts', '**/*.fixture.ts', '**/test-helpers.ts', 'bench/**/*.ts'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', 'bench/results'] },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Resolves the @bulkhead/* aliases of tsconfig.base.json, so cycles through a barrel count.
      // (An absolute path: Nx runs each project's lint from the project's own folder.)
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: fileURLToPath(new URL('tsconfig.base.json', import.meta.url)) })],
    },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(PRODUCTION_CONSTRAINTS),
      // No import cycle, anywhere, with no exception: a cycle makes load order matter and hides
      // what a module really depends on. (Type-only imports vanish at run time and are not counted.)
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Test helpers stay out of production code: they live behind `/testing` entries.
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@bulkhead/testing', '@bulkhead/*/testing'], message: 'test helpers are for tests and benchmarks only' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': boundaries(TEST_CONSTRAINTS),
      'no-restricted-imports': 'off',
    },
  },
];
