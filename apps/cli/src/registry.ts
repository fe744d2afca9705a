import { loadPlugins } from '@bulkhead/builtin-plugins';
import type { PluginRegistry } from '@bulkhead/plugin-sdk';

/**
 * The plugins the CLI runs inline: the built-ins plus npm plugin packages named with --plugin
 * or in BULKHEAD_PLUGINS (comma-separated), loaded exactly as the worker loads them.
 */
export function cliRegistry(extra: readonly string[] = []): PluginRegistry {
  const fromEnv = (process.env['BULKHEAD_PLUGINS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return loadPlugins([...fromEnv, ...extra]);
}
