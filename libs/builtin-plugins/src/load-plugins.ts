import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PluginRegistry, validatePlugin, type BulkheadPlugin } from '@bulkhead/plugin-sdk';
import type { PluginApi } from '@bulkhead/plugin-sdk/api';
import type { PluginCli } from '@bulkhead/plugin-sdk/cli';
import { builtinPluginPackages } from './builtin-plugins';
import { shareHostSingletons } from './host-singletons';
import { entryExport, type PluginPackage } from './plugin-package';

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

function firstLine(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}

/**
 * Where a package is looked up: the working directory first (where an installation keeps its
 * plugins), then Bulkhead's own node_modules. Absolute paths are accepted too.
 */
function requirers(cwd: string): NodeJS.Require[] {
  return [createRequire(path.join(cwd, 'noop.js')), require];
}

function resolvePackage(name: string, cwd: string): string {
  for (const req of requirers(cwd)) {
    try {
      return req.resolve(name);
    } catch {
      // try the next location
    }
  }
  throw new PluginLoadError(name, `package not found (looked in ${cwd}/node_modules and Bulkhead's node_modules); install it with npm install ${name}`);
}

/**
 * Requires one plugin package: its default export or its `plugin` export must be a valid
 * BulkheadPlugin.
 */
export function loadPluginPackage(name: string, cwd = process.cwd()): BulkheadPlugin {
  let exported: unknown;
  try {
    const resolved = resolvePackage(name, cwd);
    // Before its first require: the package must load the host's Nest, GraphQL, zod and SDK.
    shareHostSingletons(resolved);
    exported = require(resolved);
  } catch (error) {
    if (error instanceof PluginLoadError) throw error;
    throw new PluginLoadError(name, firstLine(error), { cause: error });
  }
  const candidate = entryExport<BulkheadPlugin>(exported, 'plugin');
  if (!candidate) throw new PluginLoadError(name, 'it has neither a default export nor a `plugin` export');
  const problems = validatePlugin(candidate);
  if (problems.length) throw new PluginLoadError(name, problems.join('; '));
  return candidate;
}

/**
 * Resolves `<package>/<entry>` next to the package, or undefined when the package has no such
 * entry (not found, or not in its `exports`). Only resolution failures mean "absent".
 */
function resolveEntry(name: string, entry: string, cwd: string): string | undefined {
  const specifier = `${name.replace(/\/+$/, '')}/${entry}`;
  const byPath = isPathName(name) ? resolveEntryOfDirectory(path.resolve(cwd, name), entry) : undefined;
  if (byPath) return byPath;
  for (const req of requirers(cwd)) {
    try {
      return req.resolve(specifier);
    } catch {
      // absent here: try the next location
    }
  }
  return undefined;
}

function isPathName(name: string): boolean {
  return path.isAbsolute(name) || name.startsWith('./') || name.startsWith('../');
}

/**
 * A package named by its directory (`BULKHEAD_PLUGINS=/srv/plugins/acme-licenses`): its entries
 * are found through its own package.json `exports`, by the package resolving its own name from
 * inside its directory (Node's package self-reference), not as files beside the path.
 */
function resolveEntryOfDirectory(dir: string, entry: string): string | undefined {
  try {
    const { name } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    if (typeof name !== 'string') return undefined;
    return createRequire(path.join(dir, 'package.json')).resolve(`${name}/${entry}`);
  } catch {
    return undefined; // no package.json, no exports, or no such entry: not an entry of this directory
  }
}

/** Loads an entry that exists; anything wrong in it (a throw at import, no export) names the package and entry. */
function loadEntry<T>(name: string, entry: 'api' | 'cli', cwd: string): T | undefined {
  const resolved = resolveEntry(name, entry, cwd);
  if (resolved === undefined) return undefined;
  let exported: unknown;
  try {
    exported = require(resolved);
  } catch (error) {
    throw new PluginLoadError(name, `its ${entry} entry (${resolved}) failed to load: ${firstLine(error)}`, { cause: error });
  }
  const value = entryExport<T>(exported, entry);
  if (!value) throw new PluginLoadError(name, `its ${entry} entry (${resolved}) has neither a default export nor an \`${entry}\` export`);
  return value;
}

/** An npm (or path) plugin package as a descriptor: the plugin now, its entries when asked for. */
export function npmPluginPackage(name: string, cwd = process.cwd()): PluginPackage {
  const plugin = loadPluginPackage(name, cwd);
  return {
    name,
    plugin,
    loadApi: async () => loadEntry<PluginApi>(name, 'api', cwd),
    loadCli: async () => loadEntry<PluginCli>(name, 'cli', cwd),
  };
}

/**
 * The built-in plugin packages plus the configured ones, checked together: throws at start-up
 * for a missing or broken package, a duplicate plugin id or two handlers for one task. The
 * packages' `api`/`cli` entries are loaded later, by the host that needs them.
 */
export function loadPluginPackages(names: readonly string[], builtins: readonly PluginPackage[] = builtinPluginPackages()): PluginPackage[] {
  // Without packages there is nothing to check here: reading the built-ins' plugins would load
  // every engine (for `bulkhead --help` too). registryOf() checks them when the tasks are needed.
  if (names.length === 0) return [...builtins];
  const registry = new PluginRegistry(builtins.map((pkg) => pkg.plugin));
  const packages = [...builtins];
  for (const name of names) {
    const pkg = npmPluginPackage(name);
    try {
      registry.register(pkg.plugin);
    } catch (error) {
      throw new PluginLoadError(name, (error as Error).message, { cause: error });
    }
    packages.push(pkg);
  }
  return packages;
}

/** The task registry of loaded packages. */
export function registryOf(packages: readonly PluginPackage[]): PluginRegistry {
  return new PluginRegistry(packages.map((pkg) => pkg.plugin));
}

/**
 * The registry of built-in plugins plus the configured packages (the worker's and the inline
 * CLI's view: tasks only).
 */
export function loadPlugins(names: readonly string[], builtins: readonly BulkheadPlugin[] = builtinPluginPackages().map((pkg) => pkg.plugin)): PluginRegistry {
  const none = async (): Promise<undefined> => undefined;
  const packages = loadPluginPackages(
    names,
    builtins.map((plugin) => ({ name: plugin.manifest.id, plugin, loadApi: none, loadCli: none })),
  );
  return registryOf(packages);
}
