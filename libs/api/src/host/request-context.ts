import { AsyncLocalStorage } from 'node:async_hooks';
import type { HostRequestContext, Principal } from '@bulkhead/plugin-sdk/api';
import { unauthenticated } from '../auth/auth-errors';

/**
 * The principal of the request being served, carried through every await of that request by an
 * AsyncLocalStorage. The HTTP middleware enters it for each request (GraphQL and plugin routes);
 * graphql-ws runs each subscription's resolver and events inside the connection's principal.
 * Provided to plugins as HOST_REQUEST_CONTEXT; the host's own services read it the same way.
 */
export class AsyncLocalRequestContext implements HostRequestContext {
  private readonly storage = new AsyncLocalStorage<Principal>();

  principal(): Principal | undefined {
    return this.storage.getStore();
  }

  requirePrincipal(): Principal {
    const principal = this.storage.getStore();
    if (!principal) throw unauthenticated('authentication required: send an API token (Authorization: Bearer bhk_...)');
    return principal;
  }

  /** The principal's team (UNAUTHENTICATED without one): what every store and host capability is scoped to. */
  requestTeam(): string {
    return this.requirePrincipal().team;
  }

  /** Runs `work` (and everything it awaits or schedules) as `principal`. */
  run<T>(principal: Principal | undefined, work: () => T): T {
    return principal ? this.storage.run(principal, work) : this.storage.exit(work);
  }
}

/** The one request context of the process (the API's requests and plugins' capabilities share it). */
export const requestContext = new AsyncLocalRequestContext();
