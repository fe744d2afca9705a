import { DEFAULT_TEAM, type TeamAccessor } from '@bulkhead/persistence';
import type { HostRequestContext } from '@bulkhead/plugin-sdk/api';

/**
 * The team of the request being served: the one accessor through which every store and host
 * capability of the API learns which team it reads and writes (libs/persistence/src/team.ts).
 * Called on every operation, never cached: one store object serves the requests of every team.
 */
export function requestTeam(context: HostRequestContext): TeamAccessor {
  return () => context.requestTeam();
}

/** A request context with no principal (every request is the team `default`). */
export const NO_PRINCIPAL_CONTEXT: HostRequestContext = {
  principal: () => undefined,
  requestTeam: () => DEFAULT_TEAM,
  requirePrincipal: () => {
    throw new Error('no principal: this API has no request context');
  },
};
