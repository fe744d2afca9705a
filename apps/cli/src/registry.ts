import { loadPluginPackages, loadPlugins, type PluginPackage } from '@bulkhead/builtin-plugins';
import type { PluginRegistry } from '@bulkhead/plugin-sdk';

/** npm plugin packages named in BULKHEAD_PLUGINS (comma-separated). */
function packagesFromEnv(): string[] {
  return (process.env['BULKHEAD_PLUGINS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The plugins the CLI runs inline: the built-ins plus npm plugin packages named with --plugin
 * or in BULKHEAD_PLUGINS, loaded exactly as the worker loads them.
 */
export function cliRegistry(extra: readonly string[] = []): PluginRegistry {
  return loadPlugins([...packagesFromEnv(), ...extra]);
}

/** The packages whose `cli` entries contribute commands: the built-ins and BULKHEAD_PLUGINS. */
export function cliPluginPackages(): PluginPackage[] {
  return loadPluginPackages(packagesFromEnv());
}
