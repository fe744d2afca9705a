import { z } from 'zod';
import { TaskInputError } from './errors';
import type { ExtensionPoints } from './extensions';
import type { PluginKind } from './manifest';
import { validatePlugin, type BulkheadPlugin } from './plugin';
import { PLUGIN_SERVICE_NAMES, type PluginServiceContext, type PluginServices } from './services';
import type { TaskDefinition } from './task';

export interface RegisteredTask {
  plugin: BulkheadPlugin;
  definition: TaskDefinition;
}

/**
 * All loaded plugins. Refuses a second plugin with the same id and a second handler for the same
 * (kind, task type): exactly one handler per task, or the process does not start.
 */
export class PluginRegistry {
  private readonly plugins = new Map<string, BulkheadPlugin>();
  private readonly tasks = new Map<string, RegisteredTask>();

  constructor(plugins: readonly BulkheadPlugin[] = []) {
    for (const plugin of plugins) this.register(plugin);
  }

  register(plugin: BulkheadPlugin): void {
    const problems = validatePlugin(plugin);
    if (problems.length > 0) throw new Error(`invalid plugin ${String(plugin?.manifest?.id)}: ${problems.join('; ')}`);
    const { id, kind } = plugin.manifest;
    if (this.plugins.has(id)) throw new Error(`plugin id ${id} is registered twice`);
    for (const definition of plugin.tasks) {
      const key = taskKey(kind, definition.type);
      const existing = this.tasks.get(key);
      if (existing) {
        throw new Error(`task ${kind}/${definition.type} of plugin ${id} is already handled by plugin ${existing.plugin.manifest.id}`);
      }
    }
    for (const name of Object.keys(plugin.provides ?? {})) {
      const other = this.provider(name as keyof PluginServices);
      if (other) throw new Error(`service ${name} of plugin ${id} is already provided by plugin ${other.manifest.id}`);
    }
    this.plugins.set(id, plugin);
    for (const definition of plugin.tasks) this.tasks.set(taskKey(kind, definition.type), { plugin, definition });
  }

  /** The plugin providing a service, if one is loaded. */
  provider(name: keyof PluginServices): BulkheadPlugin | undefined {
    return [...this.plugins.values()].find((plugin) => plugin.provides?.[name] !== undefined);
  }

  /**
   * The services the loaded plugins provide, instantiated for one team over the given database
   * (the host's job on a worker and in the API; see services.ts).
   */
  services(context: PluginServiceContext): PluginServices {
    const services: Record<string, unknown> = {};
    for (const name of PLUGIN_SERVICE_NAMES) {
      // Each factory is checked against its name's interface where it is declared (PluginServiceProviders).
      const factory = this.provider(name)?.provides?.[name] as ((context: PluginServiceContext) => unknown) | undefined;
      if (factory) services[name] = factory(context);
    }
    return services as PluginServices;
  }

  list(): BulkheadPlugin[] {
    return [...this.plugins.values()];
  }

  get(id: string): BulkheadPlugin | undefined {
    return this.plugins.get(id);
  }

  findTask(kind: PluginKind, type: string): RegisteredTask | undefined {
    return this.tasks.get(taskKey(kind, type));
  }

  /** Like findTask, but a missing handler is an error that lists what is available. */
  requireTask(kind: PluginKind, type: string): RegisteredTask {
    const found = this.findTask(kind, type);
    if (found) return found;
    const available = [...this.tasks.keys()].filter((k) => k.startsWith(`${kind}/`)).map((k) => k.slice(kind.length + 1));
    throw new TaskInputError(type, [
      `no ${kind} plugin handles task type "${type}"${available.length ? ` (available: ${available.join(', ')})` : ''}`,
    ]);
  }

  extensions<P extends keyof ExtensionPoints>(point: P): ExtensionPoints[P][] {
    return this.list().flatMap((p) => [...((p.contributes?.[point] as readonly ExtensionPoints[P][] | undefined) ?? [])]);
  }
}

function taskKey(kind: PluginKind, type: string): string {
  return `${kind}/${type}`;
}

/** Validates raw input against a task's schema; throws a TaskInputError naming every bad field. */
export function parseTaskInput<S extends z.ZodType>(definition: TaskDefinition<S>, raw: unknown): z.output<S> {
  const parsed = definition.input.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(input)'}: ${issue.message}`);
  throw new TaskInputError(definition.type, issues);
}

/** JSON Schema of a task's input, for GraphQL clients and generated docs. */
export function taskInputJsonSchema(definition: TaskDefinition): unknown {
  // The schema of what a client sends: fields with a default are optional (io: 'input').
  return z.toJSONSchema(definition.input, { unrepresentable: 'any', io: 'input' });
}
