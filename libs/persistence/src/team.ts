/*
 * Teams (tenants)
 * ---------------
 * Every core row (task, artifact, package, finding) and every plugin-owned row carries the team
 * it belongs to, and every unique key includes it: the same image scanned by two teams is two
 * artifact rows, the same finding reported in two teams two finding rows, the same task
 * submitted by two teams two tasks. A request sees and writes only its principal's team; the
 * worker writes a task's results under the task row's team (the queue payload is only the id).
 *
 * Rows stored before teams existed, and everything the inline CLI does, are the team `default`.
 */

/** The team of rows older than teams, of the inline CLI, and of the first admin token `bulkhead serve` creates on an empty database. */
export const DEFAULT_TEAM = 'default';

/**
 * How a store picks the team it reads and writes: an accessor called on every operation (the
 * API's returns the team of the request being served), or ALL_TEAMS for the platform's own
 * processes that work on rows by id whatever their team (the worker, the reconciler).
 */
export type TeamScope = TeamAccessor | typeof ALL_TEAMS;

/** The team of the operation being done now (the API's: the team of the request being served). */
export type TeamAccessor = () => string;

/** Scope of the worker and the reconciler: rows of every team, found by id. Never used to serve a request. */
export const ALL_TEAMS = Symbol('all teams');

/** A scope fixed to one team. */
export function teamScope(team: string): TeamAccessor {
  return () => team;
}

/** The team of the scope now, or undefined for ALL_TEAMS. */
export function scopedTeam(scope: TeamScope): string | undefined {
  return scope === ALL_TEAMS ? undefined : scope();
}
