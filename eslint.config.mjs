import nx from '@nx/eslint-plugin';

// Module boundaries (see ../shared/DESIGN.md): apps use plugins and libs; plugins use only
// libs (and through them the SDK); libs never use apps or plugins; the plugin SDK depends on
// nothing of ours so that it can be published alone. libs/builtin-plugins (type:bundle) is the
// only library allowed to import plugins, so that apps share one list of built-ins.
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', 'bench/results'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          // A plugin's entries are loaded separately: its main entry (task handlers) statically, its
          // `cli` (and `api`) entry lazily with import(), so `bulkhead --help` never loads an engine.
          // They are different modules of one project, not one library loaded both ways.
          checkDynamicDependenciesExceptions: ['@bulkhead/plugin-*'],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:plugin', 'type:bundle', 'type:host'] },
            // libs/api: the API process body shared by apps/api and `bulkhead serve`. Like an app it
            // may use plugins (their HTTP/GraphQL surfaces: benchmark profiles, runtime ingest), but
            // not apps or the built-in bundle (it receives its plugin registry from the caller).
            { sourceTag: 'type:host', onlyDependOnLibsWithTags: ['type:lib', 'type:plugin'] },
            // The one place that lists the built-in plugins, shared by the api, worker and cli apps.
            { sourceTag: 'type:bundle', onlyDependOnLibsWithTags: ['type:lib', 'type:plugin'] },
            { sourceTag: 'type:plugin', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            // bench/: measures plugins and libraries directly, like an app would.
            { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:lib', 'type:plugin'] },
            { sourceTag: 'scope:sdk', onlyDependOnLibsWithTags: ['scope:sdk'] },
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:sdk', 'scope:core'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
];
