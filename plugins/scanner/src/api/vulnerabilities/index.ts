import type { Provider } from '@nestjs/common';
import { PLUGIN_DATABASE, type PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { PostgresAdvisoryStore } from '@bulkhead/vulndb';
import { ADVISORY_LOOKUP } from './tokens';
import { vulnerabilityResolvers } from './vulnerability.resolvers';
import { VulnerabilityService } from './vulnerability.service';

/*
 * The vulnerability read queries (per image, per package, counts, advisory lookup, which images
 * hold an advisory) live in this folder and register their Nest providers (resolvers, services,
 * loaders) here; the scanner API module imports this function and nothing else from the folder.
 * A function, not a list: the resolvers of the host's Image and Package types can only be
 * declared inside the API (see vulnerability.resolvers.ts).
 */
export function vulnerabilityApiProviders(): Provider[] {
  return [
    { provide: ADVISORY_LOOKUP, useFactory: (db: PluginDatabase) => new PostgresAdvisoryStore(db), inject: [PLUGIN_DATABASE] },
    VulnerabilityService,
    ...vulnerabilityResolvers(),
  ];
}
