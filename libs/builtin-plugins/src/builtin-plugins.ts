import { benchmarkPlugin } from '@bulkhead/plugin-benchmark';
import { runtimePlugin } from '@bulkhead/plugin-runtime';
import { scannerPlugin } from '@bulkhead/plugin-scanner';
import { signerPlugin } from '@bulkhead/plugin-signer';
import type { BulkheadPlugin } from '@bulkhead/plugin-sdk';
import type { PluginApi } from '@bulkhead/plugin-sdk/api';
import type { PluginCli } from '@bulkhead/plugin-sdk/cli';
import { entryExport, type PluginPackage } from './plugin-package';

const cliOf = (module: unknown) => entryExport<PluginCli>(module, 'cli');

/**
 * The one list of built-in plugins, shared by the api, worker and cli apps, as package
 * descriptors: a built-in's `api` and `cli` entries load lazily, like an npm package's. A new
 * built-in plugin is added here and nowhere else.
 *
 * `plugin` is a getter and the build compiles this file with lazy imports
 * (tools/scripts/swc-config.js): a plugin's main module, with the engines its tasks import,
 * loads only when its `plugin` is first read, so `bulkhead --help` (cli entries only) loads none.
 */
export function builtinPluginPackages(): PluginPackage[] {
  return [
    builtin(
      '@bulkhead/plugin-scanner',
      () => scannerPlugin,
      async () => entryExport<PluginApi>(await import('@bulkhead/plugin-scanner/api'), 'scannerApi'),
      async () => cliOf(await import('@bulkhead/plugin-scanner/cli')),
    ),
    builtin(
      '@bulkhead/plugin-benchmark',
      () => benchmarkPlugin,
      async () => entryExport<PluginApi>(await import('@bulkhead/plugin-benchmark/api'), 'benchmarkApi'),
      async () => cliOf(await import('@bulkhead/plugin-benchmark/cli')),
    ),
    builtin(
      '@bulkhead/plugin-runtime',
      () => runtimePlugin,
      async () => entryExport<PluginApi>(await import('@bulkhead/plugin-runtime/api'), 'api'),
      async () => cliOf(await import('@bulkhead/plugin-runtime/cli')),
    ),
    builtin(
      '@bulkhead/plugin-signer',
      () => signerPlugin,
      async () => entryExport<PluginApi>(await import('@bulkhead/plugin-signer/api'), 'signerApi'),
      async () => cliOf(await import('@bulkhead/plugin-signer/cli')),
    ),
  ];
}

function builtin(name: string, plugin: () => BulkheadPlugin, loadApi: PluginPackage['loadApi'], loadCli: PluginPackage['loadCli']): PluginPackage {
  return {
    name,
    get plugin() {
      return plugin();
    },
    loadApi,
    loadCli,
  };
}

/** The built-in plugins themselves (their task handlers). */
export function builtinPlugins(): BulkheadPlugin[] {
  return builtinPluginPackages().map((pkg) => pkg.plugin);
}
