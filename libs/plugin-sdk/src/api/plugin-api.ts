import type { z } from 'zod';
import type { TaskLogger } from '../logger';
import type { PluginDatabase } from './host';

/**
 * One step of a plugin's schema, run after the core migrations in the order listed, once:
 * the host records `(pluginId, id)` in its `plugin_migration` table and runs each step in a
 * transaction. Never edit a step that has shipped; add another.
 */
export interface PluginMigration {
  /** Unique within the plugin and sortable: `0001-alert-indexes`. */
  readonly id: string;
  up(db: Pick<PluginDatabase, 'query'>): Promise<void>;
  down?(db: Pick<PluginDatabase, 'query'>): Promise<void>;
}

export interface PluginApiContext<Config = Record<string, unknown>> {
  readonly pluginId: string;
  /** The plugin's configuration, validated against `config` at start-up. */
  readonly config: Config;
  readonly logger: TaskLogger;
}

/**
 * What a plugin contributes to the API process, exported from its `<package>/api` entry
 * (default export or `api`). The host loads it for every registered plugin by the same code
 * path, built-in or from npm.
 */
export interface PluginApi<ConfigSchema extends z.ZodObject = z.ZodObject> {
  /**
   * Environment variables the plugin reads, validated with the core's at start-up: a bad value
   * stops the process naming the variable. Keys are variable names (prefix them with the
   * plugin's name, e.g. `ACME_SECRETS_LIMIT`).
   */
  readonly config?: ConfigSchema;
  readonly migrations?: readonly PluginMigration[];
  /**
   * The Nest module to import into the API (GraphQL types, resolvers, subscriptions;
   * controllers only where an outside system dictates the wire format). Returns a Nest
   * `DynamicModule` or module class; typed loosely so that the SDK's root stays free of Nest.
   */
  module(context: PluginApiContext<z.output<ConfigSchema>>): unknown;
  /** Called when the API closes (after HTTP stops): release what `module` opened. */
  close?(): Promise<void>;
}

export function definePluginApi<S extends z.ZodObject>(api: PluginApi<S>): PluginApi<S> {
  return api;
}

const PLUGIN_STARTUP_ERROR = Symbol.for('bulkhead.plugin-startup-error');

/**
 * A plugin's API module cannot start for a reason the operator must fix (a rules file that does
 * not load, a file that cannot be read). Thrown from `module()` or from a provider of the
 * plugin's Nest module, it stops the API's start-up and the host reports its message as-is, like
 * its own configuration errors. Recognised by a `Symbol.for` brand, so a plugin bundling its own
 * copy of the SDK is understood too.
 */
export class PluginStartupError extends Error {
  override readonly name: string = 'PluginStartupError';
  readonly [PLUGIN_STARTUP_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_STARTUP_ERROR] === true;
  }
}
