import { requestContext } from '../host/request-context';

/**
 * Runs `work` as a request of `team` (an admin principal), for tests that call host capabilities
 * directly instead of over HTTP: outside a request they refuse to work (UNAUTHENTICATED).
 */
export function asTeam<T>(team: string, work: () => Promise<T>): Promise<T> {
  return requestContext.run({ tokenId: `test-${team}`, name: `test ${team}`, team, role: 'admin' }, work);
}
