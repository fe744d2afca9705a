import type { DynamicModule, Type } from '@nestjs/common';
import { ConfigError, loadConfig, type Logger } from '@bulkhead/common';
import { checkPluginMigrationIds } from '@bulkhead/persistence';
import type { BulkheadPlugin } from '@bulkhead/plugin-sdk';
import type { PluginApi } from '@bulkhead/plugin-sdk/api';
import { ApiStartupError } from '../startup/startup-error';

/**
 * What the API needs of a plugin package (structurally libs/builtin-plugins' PluginPackage,
 * which libs/api does not import: it never learns which plugins exist).
 */
export interface ApiPluginPackage {
  readonly name: string;
  readonly plugin: BulkheadPlugin;
  /** The package's `./api` entry, or undefined when it has none; rejects when the entry is broken. */
  loadApi(): Promise<PluginApi | undefined>;
}

/** A plugin's API entry, checked, with its configuration read from the environment. */
export interface LoadedPluginApi {
  pluginId: string;
  packageName: string;
  api: PluginApi;
  config: Record<string, unknown>;
}

function isZodObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function' && 'shape' in value;
}

/** Problems with the shape of an API entry (a plugin built against another contract, a typo). */
function entryProblems(api: PluginApi): string[] {
  const problems: string[] = [];
  if (typeof api !== 'object' || api === null) return ['its api entry exports no object (default export or `api`)'];
  if (typeof api.module !== 'function') problems.push('its api entry has no module() function');
  if (api.config !== undefined && !isZodObject(api.config)) problems.push('its api entry `config` is not a zod object schema');
  if (api.migrations !== undefined && !Array.isArray(api.migrations)) problems.push('its api entry `migrations` is not an array');
  if (api.close !== undefined && typeof api.close !== 'function') problems.push('its api entry `close` is not a function');
  return problems;
}

/**
 * Loads the `api` entry of every plugin package that has one (built-in or npm: one code path),
 * checks its shape and migration ids, and validates its configuration schema against `env`.
 * Every configuration problem of every plugin is reported at once, each naming its variable.
 */
export async function loadPluginApis(packages: readonly ApiPluginPackage[], env: NodeJS.ProcessEnv): Promise<LoadedPluginApi[]> {
  const loaded: LoadedPluginApi[] = [];
  const configProblems: string[] = [];
  for (const pkg of packages) {
    const pluginId = pkg.plugin.manifest.id;
    const api = await pkg.loadApi();
    if (api === undefined) continue;
    const problems = entryProblems(api);
    if (problems.length === 0 && api.migrations) problems.push(...checkPluginMigrationIds({ pluginId, migrations: api.migrations }));
    if (problems.length) throw new ApiStartupError(`plugin ${pluginId} (package ${pkg.name}): ${problems.join('; ')}`);
    let config: Record<string, unknown> = {};
    if (api.config) {
      try {
        config = loadConfig(api.config, env) as Record<string, unknown>;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        // loadConfig's message is a heading and one line per variable: keep the lines, name the plugin.
        const lines = error.message.split('\n').slice(1).map((line) => line.trim()).filter(Boolean);
        configProblems.push(...lines.map((line) => `plugin ${pluginId}: ${line}`));
        continue;
      }
    }
    loaded.push({ pluginId, packageName: pkg.name, api, config });
  }
  if (configProblems.length) throw new ConfigError(`invalid plugin configuration:\n  ${configProblems.join('\n  ')}`);
  return loaded;
}

/** A Nest module as a plugin's module() may return it: a module class or a DynamicModule. */
export type PluginNestModule = Type<unknown> | DynamicModule;

function isNestModule(value: unknown): value is PluginNestModule {
  if (typeof value === 'function') return true;
  return typeof value === 'object' && value !== null && typeof (value as { module?: unknown }).module === 'function';
}

/** Calls each plugin's module() with its context; a plugin returning something else stops start-up naming it. */
export function pluginNestModules(loaded: readonly LoadedPluginApi[], logger: Logger): PluginNestModule[] {
  return loaded.map(({ pluginId, packageName, api, config }) => {
    const module = api.module({ pluginId, config, logger: logger.child({ plugin: pluginId }) });
    if (!isNestModule(module)) throw new ApiStartupError(`plugin ${pluginId} (package ${packageName}): module() returned neither a Nest module class nor a DynamicModule`);
    return module;
  });
}
