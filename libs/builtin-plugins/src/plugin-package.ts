import type { BulkheadPlugin } from '@bulkhead/plugin-sdk';
import type { PluginApi } from '@bulkhead/plugin-sdk/api';
import type { PluginCli } from '@bulkhead/plugin-sdk/cli';

/**
 * A loaded plugin with the optional entries of its package: `<name>/api` (contributions to the
 * API process) and `<name>/cli` (`bulkhead` subcommands). Built-ins and npm packages are both
 * described this way, so the API and CLI hosts load every plugin's entries by one code path.
 * The entries load lazily: the worker never loads Nest for a plugin, `bulkhead --help` never
 * loads a plugin's engine.
 */
export interface PluginPackage {
  /** The npm package name (`@bulkhead/plugin-runtime`, `acme-secrets`, or a path). */
  readonly name: string;
  readonly plugin: BulkheadPlugin;
  /** The package's `./api` entry, or undefined when it has none. */
  loadApi(): Promise<PluginApi | undefined>;
  /** The package's `./cli` entry, or undefined when it has none. */
  loadCli(): Promise<PluginCli | undefined>;
}

/** The default export, or the named export `name`, of an entry module. */
export function entryExport<T>(module: unknown, name: string): T | undefined {
  const m = module as Record<string, unknown> | undefined;
  return (m?.['default'] ?? m?.[name]) as T | undefined;
}
