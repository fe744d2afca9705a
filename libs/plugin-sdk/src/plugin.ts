import semver from 'semver';
import type { ExtensionContributions } from './extensions';
import type { PluginManifest } from './manifest';
import { PLUGIN_SERVICE_NAMES, type PluginServiceProviders } from './services';
import type { TaskDefinition } from './task';

export interface BulkheadPlugin {
  readonly manifest: PluginManifest;
  /** Tasks this plugin runs. Their types must be unique within the plugin's kind. */
  readonly tasks: readonly TaskDefinition[];
  /** Contributions to the extension points of built-in tasks. */
  readonly contributes?: ExtensionContributions;
  /**
   * Services this plugin offers other plugins through the host (see services.ts): factories over
   * the plugin's own database. At most one loaded plugin may provide each service.
   */
  readonly provides?: PluginServiceProviders;
}

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const TYPE_PATTERN = /^[a-z][a-z0-9-]*$/;

/** Declares a plugin, checking its manifest eagerly so a broken plugin fails at load, not at run. */
export function definePlugin(plugin: BulkheadPlugin): BulkheadPlugin {
  const problems = validatePlugin(plugin);
  if (problems.length > 0) {
    throw new Error(`invalid plugin ${String(plugin?.manifest?.id)}: ${problems.join('; ')}`);
  }
  return plugin;
}

/** Returns what is wrong with a plugin object (empty when it is valid). */
export function validatePlugin(plugin: BulkheadPlugin): string[] {
  const problems: string[] = [];
  const m = plugin?.manifest;
  if (!m) return ['missing manifest'];
  if (typeof m.id !== 'string' || !ID_PATTERN.test(m.id)) problems.push(`manifest.id ${JSON.stringify(m.id)} must match ${ID_PATTERN}`);
  if (!isSemver(m.version)) problems.push(`manifest.version ${JSON.stringify(m.version)} is not semver`);
  if (!['scanner', 'signer', 'benchmark', 'runtime'].includes(m.kind)) problems.push(`manifest.kind ${JSON.stringify(m.kind)} is not one of scanner, signer, benchmark, runtime`);
  if (!Array.isArray(m.phases) || m.phases.length === 0 || m.phases.some((p) => !['build', 'ship', 'run'].includes(p))) {
    problems.push('manifest.phases must be a non-empty list of build, ship, run');
  }
  if (!Array.isArray(plugin.tasks)) return [...problems, 'tasks must be an array'];
  const seen = new Set<string>();
  for (const task of plugin.tasks) {
    if (typeof task?.type !== 'string' || !TYPE_PATTERN.test(task.type)) problems.push(`task type ${JSON.stringify(task?.type)} must match ${TYPE_PATTERN}`);
    else if (seen.has(task.type)) problems.push(`task type ${task.type} is declared twice`);
    else seen.add(task.type);
    if (typeof task?.run !== 'function') problems.push(`task ${String(task?.type)} has no run()`);
    if (typeof task?.input?.safeParse !== 'function') problems.push(`task ${String(task?.type)} has no input schema`);
  }
  // A plugin built against another SDK (an npm package) may name a service this host does not
  // know: refused at load time, not discovered when a consumer calls it.
  if (plugin.provides !== undefined) {
    if (typeof plugin.provides !== 'object' || plugin.provides === null) problems.push('provides must be an object of service factories');
    else {
      for (const [name, factory] of Object.entries(plugin.provides)) {
        if (!(PLUGIN_SERVICE_NAMES as readonly string[]).includes(name)) problems.push(`provides.${name} is not a known service (known: ${PLUGIN_SERVICE_NAMES.join(', ')})`);
        else if (typeof factory !== 'function') problems.push(`provides.${name} is not a factory function`);
      }
    }
  }
  return problems;
}

/**
 * A semantic version (semver.org 2.0.0) written exactly as semver prints it: the `semver` package
 * also accepts a leading `v` or `=` and surrounding blanks, which a manifest must not have.
 */
function isSemver(version: unknown): boolean {
  if (typeof version !== 'string') return false;
  const parsed = semver.parse(version);
  return parsed !== null && `${parsed.version}${parsed.build.length > 0 ? `+${parsed.build.join('.')}` : ''}` === version;
}
