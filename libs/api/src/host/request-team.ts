import type { TeamAccessor } from '@bulkhead/persistence';
import type { HostRequestContext } from '@bulkhead/plugin-sdk/api';

/**
 * The team of the request being served: the one accessor through which every store and host
 * capability of the API learns which team it reads and writes (libs/persistence/src/team.ts).
 * Called on every operation, never cached: one store object serves the requests of every team.
 * Outside an authenticated request it throws UNAUTHENTICATED: no data is read or written for
 * nobody (the guard refuses anonymous requests before any resolver runs anyway).
 */
export function requestTeam(context: HostRequestContext): TeamAccessor {
  return () => context.requestTeam();
}
