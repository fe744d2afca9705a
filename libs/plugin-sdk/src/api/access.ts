import { SetMetadata } from '@nestjs/common';

/**
 * Access control as plugins see it. The host authenticates every request (an API token, or
 * Kubernetes-style bearer credentials on ingest routes) and runs the request inside a context
 * holding its principal; every host capability (tasks, artifacts, findings, finding events,
 * the plugin database helpers) is then scoped to the principal's team without the plugin
 * passing it. The inline CLI has no principal and no teams.
 */

/** Ordered: each role may do everything the roles before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** Id of the API token (or ingest credential) that authenticated the request. */
  readonly tokenId: string;
  /** Human name of the token, for audit logs. */
  readonly name: string;
  /** The team (tenant) whose data the request sees and writes. */
  readonly team: string;
  readonly role: Role;
}

/** True when `role` may do what `needed` may. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The principal of the request being served (undefined outside a request, e.g. at start-up). */
export interface HostRequestContext {
  principal(): Principal | undefined;
  /** The principal, or an UNAUTHENTICATED error. */
  requirePrincipal(): Principal;
  /**
   * The team whose data the request sees and writes (the principal's team). The host's
   * capabilities apply it by themselves; a plugin applies it to its own tables: every plugin
   * table carries a `team text NOT NULL` column, part of its unique keys, written with this value
   * and compared with it in every query (see the benchmark plugin's `benchmark_run`).
   */
  requestTeam(): string;
}

/** Metadata key of the role a resolver, field or route needs (read by the host's guard). */
export const REQUIRED_ROLE = 'bulkhead:required-role';
/** Metadata key marking a plain HTTP route that also accepts Kubernetes-style bearer credentials. */
export const INGEST_ROUTE = 'bulkhead:ingest-route';

/**
 * The role a resolver class, resolver method, field resolver (@ResolveField) or controller route
 * needs. Without it the host requires `viewer` for queries, subscriptions and field resolvers
 * and `admin` for mutations and plain HTTP routes: an operation a plugin forgot to mark is closed,
 * never open. On a field resolver, a too-low role gets FORBIDDEN on that field only (null in the
 * data, so make such a field nullable).
 */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

/** Marks an ingest route (sensor or audit webhook): authenticated like the API, role `operator` unless RequireRole says more. */
export const IngestRoute = () => SetMetadata(INGEST_ROUTE, true);
