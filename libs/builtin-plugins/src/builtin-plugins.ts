import { benchmarkPlugin } from '@bulkhead/plugin-benchmark';
import { runtimePlugin } from '@bulkhead/plugin-runtime';
import { scannerPlugin } from '@bulkhead/plugin-scanner';
import type { BulkheadPlugin } from '@bulkhead/plugin-sdk';
import type { PluginApi } from '@bulkhead/plugin-sdk/api';
import { entryExport, type PluginPackage } from './plugin-package';

/**
 * The one list of built-in plugins, shared by the api, worker and cli apps, as package
 * descriptors: a built-in's `api` and `cli` entries load lazily, like an npm package's. A new
 * built-in plugin is added here and nowhere else.
 */
export function builtinPluginPackages(): PluginPackage[] {
  const none = async (): Promise<undefined> => undefined;
  return [
    { name: '@bulkhead/plugin-scanner', plugin: scannerPlugin, loadApi: none, loadCli: none },
    {
      name: '@bulkhead/plugin-benchmark',
      plugin: benchmarkPlugin,
      loadApi: async () => entryExport<PluginApi>(await import('@bulkhead/plugin-benchmark/api'), 'benchmarkApi'),
      loadCli: none,
    },
    {
      name: '@bulkhead/plugin-runtime',
      plugin: runtimePlugin,
      loadApi: async () => entryExport<PluginApi>(await import('@bulkhead/plugin-runtime/api'), 'api'),
      loadCli: none,
    },
  ];
}

/** The built-in plugins themselves (their task handlers). */
export function builtinPlugins(): BulkheadPlugin[] {
  return builtinPluginPackages().map((pkg) => pkg.plugin);
}
