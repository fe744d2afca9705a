import { Inject, Injectable } from '@nestjs/common';
import { PluginRegistry, taskInputJsonSchema, type PluginKind } from '@bulkhead/plugin-sdk';
import { PLUGIN_REGISTRY } from '../tokens';
import type { Plugin } from './plugin.model';

@Injectable()
export class PluginsService {
  constructor(@Inject(PLUGIN_REGISTRY) private readonly registry: PluginRegistry) {}

  list(kind?: PluginKind | null): Plugin[] {
    return this.registry
      .list()
      .filter((plugin) => !kind || plugin.manifest.kind === kind)
      .map(({ manifest, tasks }) => ({
        id: manifest.id,
        version: manifest.version,
        kind: manifest.kind,
        phases: [...manifest.phases],
        description: manifest.description,
        tasks: tasks.map((definition) => ({
          type: definition.type,
          description: definition.description,
          inputSchema: taskInputJsonSchema(definition),
        })),
      }));
  }
}
