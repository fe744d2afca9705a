import { createRequire } from 'node:module';
import path from 'node:path';
import { PluginRegistry, validatePlugin, type BulkheadPlugin } from '@bulkhead/plugin-sdk';
import { builtinPlugins } from './builtin-plugins';

/** A configured plugin package is missing or does not export a valid plugin: a start-up error. */
export class PluginLoadError extends Error {
  override readonly name = 'PluginLoadError';
  constructor(
    readonly packageName: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot load plugin package "${packageName}" (from BULKHEAD_PLUGINS): ${problem}`, options);
  }
}

/**
 * Requires one plugin package: its default export or its `plugin` export must be a valid
 * BulkheadPlugin. Resolved from the working directory first (where an installation keeps its
 * plugins), then from Bulkhead's own node_modules. Absolute paths are accepted too.
 */
export function loadPluginPackage(name: string, cwd = process.cwd()): BulkheadPlugin {
  let exported: unknown;
  try {
    const resolved = resolvePackage(name, cwd);
    exported = require(resolved);
  } catch (error) {
    if (error instanceof PluginLoadError) throw error;
    throw new PluginLoadError(name, error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error), { cause: error });
  }
  const module = exported as { default?: unknown; plugin?: unknown } | undefined;
  const candidate = (module?.default ?? module?.plugin) as BulkheadPlugin | undefined;
  if (!candidate) throw new PluginLoadError(name, 'it has neither a default export nor a `plugin` export');
  const problems = validatePlugin(candidate);
  if (problems.length) throw new PluginLoadError(name, problems.join('; '));
  return candidate;
}

function resolvePackage(name: string, cwd: string): string {
  const attempts = [createRequire(path.join(cwd, 'noop.js')), require];
  for (const req of attempts) {
    try {
      return req.resolve(name);
    } catch {
      // try the next location
    }
  }
  throw new PluginLoadError(name, `package not found (looked in ${cwd}/node_modules and Bulkhead's node_modules); install it with npm install ${name}`);
}

/**
 * The registry of built-in plugins plus the configured packages. Throws at start-up for a
 * missing or broken package, a duplicate plugin id or two handlers for one task.
 */
export function loadPlugins(names: readonly string[], builtins: readonly BulkheadPlugin[] = builtinPlugins()): PluginRegistry {
  const registry = new PluginRegistry(builtins);
  for (const name of names) {
    const plugin = loadPluginPackage(name);
    try {
      registry.register(plugin);
    } catch (error) {
      throw new PluginLoadError(name, (error as Error).message, { cause: error });
    }
  }
  return registry;
}
