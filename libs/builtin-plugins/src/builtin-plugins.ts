import { benchmarkPlugin } from '@bulkhead/plugin-benchmark';
import { runtimePlugin } from '@bulkhead/plugin-runtime';
import { scannerPlugin } from '@bulkhead/plugin-scanner';
import type { BulkheadPlugin } from '@bulkhead/plugin-sdk';
import type { PluginCli } from '@bulkhead/plugin-sdk/cli';
import { entryExport, type PluginPackage } from './plugin-package';

const cliOf = (module: unknown) => entryExport<PluginCli>(module, 'cli');

/**
 * The one list of built-in plugins, shared by the api, worker and cli apps, as package
 * descriptors: a built-in's `api` and `cli` entries load lazily, like an npm package's. A new
 * built-in plugin is added here and nowhere else.
 */
export function builtinPluginPackages(): PluginPackage[] {
  const none = async (): Promise<undefined> => undefined;
  return [
    { name: '@bulkhead/plugin-scanner', plugin: scannerPlugin, loadApi: none, loadCli: async () => cliOf(await import('@bulkhead/plugin-scanner/cli')) },
    { name: '@bulkhead/plugin-benchmark', plugin: benchmarkPlugin, loadApi: none, loadCli: async () => cliOf(await import('@bulkhead/plugin-benchmark/cli')) },
    { name: '@bulkhead/plugin-runtime', plugin: runtimePlugin, loadApi: none, loadCli: async () => cliOf(await import('@bulkhead/plugin-runtime/cli')) },
  ];
}

/** The built-in plugins themselves (their task handlers). */
export function builtinPlugins(): BulkheadPlugin[] {
  return builtinPluginPackages().map((pkg) => pkg.plugin);
}
