import type { AlertCriteria } from './alert-filter';

/*
 * SQL over runtime findings. The expressions are those of the partial indexes created by
 * persistence's RuntimeAlertIndexes migration, written identically so that the planner can use
 * them; `kind = 'runtime'` is a literal (not a parameter) so the partial index predicate is
 * provably implied.
 */
export const ALERT_EXPR = {
  time: `(f.data ->> 'time')`,
  priority: `(f.data ->> 'priority')`,
  namespace: `COALESCE(f.data -> 'output_fields' ->> 'k8s.ns.name', f.data -> 'output_fields' ->> 'ka.target.namespace')`,
  imageRepository: `(f.data -> 'output_fields' ->> 'container.image.repository')`,
  image: `(f.data -> 'output_fields' ->> 'container.image')`,
} as const;

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/** After this (time, id) in newest-first order. */
export interface AlertKey {
  time: string;
  id: string;
}

function whereClause(criteria: AlertCriteria, params: unknown[]): string {
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions = [`f.kind = 'runtime'`];
  if (criteria.rule !== undefined) conditions.push(`f.rule_id = ${bind(criteria.rule)}`);
  if (criteria.priorities) conditions.push(`${ALERT_EXPR.priority} = ANY(${bind(criteria.priorities)}::text[])`);
  if (criteria.image !== undefined) {
    const image = bind(criteria.image);
    conditions.push(`(${ALERT_EXPR.imageRepository} = ${image} OR ${ALERT_EXPR.image} = ${image})`);
  }
  if (criteria.namespace !== undefined) conditions.push(`${ALERT_EXPR.namespace} = ${bind(criteria.namespace)}`);
  if (criteria.from !== undefined) conditions.push(`${ALERT_EXPR.time} >= ${bind(criteria.from)}`);
  if (criteria.to !== undefined) conditions.push(`${ALERT_EXPR.time} < ${bind(criteria.to)}`);
  return conditions.join(' AND ');
}

const COLUMNS = 'f.id, f.severity, f.target, f.data, f.first_seen_at, f.last_seen_at';

/** One page, newest alert time first (ties by id), `limit` rows after `after`. */
export function alertPageQuery(table: string, criteria: AlertCriteria, limit: number, after?: AlertKey): SqlQuery {
  const params: unknown[] = [];
  let where = whereClause(criteria, params);
  if (after) {
    params.push(after.time, after.id);
    where += ` AND (${ALERT_EXPR.time}, f.id) < ($${params.length - 1}, $${params.length}::uuid)`;
  }
  params.push(limit);
  return { sql: `SELECT ${COLUMNS} FROM ${table} f WHERE ${where} ORDER BY ${ALERT_EXPR.time} DESC, f.id DESC LIMIT $${params.length}`, params };
}

export function alertCountQuery(table: string, criteria: AlertCriteria): SqlQuery {
  const params: unknown[] = [];
  return { sql: `SELECT count(*)::int AS n FROM ${table} f WHERE ${whereClause(criteria, params)}`, params };
}
