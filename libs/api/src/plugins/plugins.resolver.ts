import { Args, Query, Resolver } from '@nestjs/graphql';
import { PluginKind } from '@bulkhead/plugin-sdk/api';
import { Plugin } from './plugin.model';
import { PluginsService } from './plugins.service';

@Resolver(() => Plugin)
export class PluginsResolver {
  constructor(private readonly pluginService: PluginsService) {}

  @Query(() => [Plugin], { description: 'Loaded plugins, optionally of one kind.' })
  plugins(@Args('kind', { type: () => PluginKind, nullable: true }) kind?: PluginKind | null): Plugin[] {
    return this.pluginService.list(kind);
  }
}
