import { BadInputError } from '../errors';
import type { FindingDataAlternatives, FindingDataCondition, FindingFilter, FindingGroupKey, FindingOrder, StoredFindingField } from './host';

/*
 * The one translation of a typed FindingFilter into SQL over the host's `finding` table.
 *
 * Values (kinds, rule ids, equals/oneOf/range operands, cursors) are always bind parameters.
 * Keys of a `data` path cannot be: Postgres matches an expression index only against the same
 * expression with the same constants, so they are SQL string literals, quoted here. A plugin
 * migration that indexes `data` uses findingDataExpression too, so that the index and the
 * query are the same SQL text by construction (columns are unqualified for the same reason).
 */

/** The longest key accepted in a `data` path (a guard against absurd input, not a Postgres limit). */
export const MAX_DATA_PATH_KEY_LENGTH = 256;

/** A statement and its positional parameters ($1, $2 ...). */
export interface SqlStatement {
  sql: string;
  params: unknown[];
}

/** A Postgres text literal: quotes doubled (standard_conforming_strings, on since Postgres 9.1). */
export function sqlTextLiteral(value: string): string {
  if (value.includes('\u0000')) throw new BadInputError('a SQL text cannot contain the NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

function checkPath(path: readonly string[]): void {
  if (!Array.isArray(path) || path.length === 0) throw new BadInputError('a finding data path needs at least one key');
  for (const key of path) {
    if (typeof key !== 'string' || key.length === 0) throw new BadInputError(`finding data path ${JSON.stringify(path)}: every key must be a non-empty string`);
    if (key.length > MAX_DATA_PATH_KEY_LENGTH) throw new BadInputError(`finding data path key is longer than ${MAX_DATA_PATH_KEY_LENGTH} characters`);
    if (key.includes('\u0000')) throw new BadInputError(`finding data path ${JSON.stringify(path)}: a key cannot contain the NUL character`);
  }
}

function pathExpression(path: readonly string[]): string {
  checkPath(path);
  const keys = path.map(sqlTextLiteral);
  const last = keys.pop() as string;
  return `("data"${keys.map((key) => ` -> ${key}`).join('')} ->> ${last})`;
}

/**
 * The SQL expression of a text value inside a finding's `data`, e.g.
 * `("data" -> 'output_fields' ->> 'k8s.ns.name')`, with `fallbackPaths` COALESCEd in order.
 * The query compiled from a FindingFilter uses exactly this text, so a plugin migration that
 * creates `CREATE INDEX ... ON finding ((<this>))` gets an index the query can use.
 */
export function findingDataExpression(path: readonly string[], fallbackPaths: readonly (readonly string[])[] = []): string {
  if (fallbackPaths.length === 0) return pathExpression(path);
  return `COALESCE(${[path, ...fallbackPaths].map(pathExpression).join(', ')})`;
}

/**
 * The predicate of a partial index over one kind of finding: `"kind" = 'runtime'`. The query
 * for a FindingFilter with that single kind implies it, so the planner can use such an index.
 */
export function findingKindPredicate(kind: string): string {
  return `"kind" = ${sqlTextLiteral(kind)}`;
}

/** A finding's lifecycle status (OPEN, RESOLVED, SUPPRESSED) as text, for comparison with parameters. */
export const FINDING_STATUS_EXPRESSION = `"status"::text`;

/** Columns of a stored finding (StoredFinding's, in snake case). */
export const FINDING_COLUMNS = `"id", "kind", "severity", "rule_id", "title", "target", "location", "data", "fingerprint", "task_id", "first_seen_at", "last_seen_at", "status"::text AS "status", "resolved_at", "reopened_at"`;

/** The columns each StoredFinding field is read from (`reopened` is derived from two). */
const FIELD_COLUMNS: Record<StoredFindingField, readonly string[]> = {
  id: [`"id"`],
  kind: [`"kind"`],
  severity: [`"severity"`],
  ruleId: [`"rule_id"`],
  title: [`"title"`],
  target: [`"target"`],
  location: [`"location"`],
  data: [`"data"`],
  fingerprint: [`"fingerprint"`],
  taskId: [`"task_id"`],
  firstSeenAt: [`"first_seen_at"`],
  lastSeenAt: [`"last_seen_at"`],
  status: [`"status"::text AS "status"`],
  resolvedAt: [`"resolved_at"`],
  reopened: [`"status"::text AS "status"`, `"reopened_at"`],
  reopenedAt: [`"reopened_at"`],
};

/** The select list of some fields (always the id); FINDING_COLUMNS without `fields`. */
export function findingColumnsOf(fields?: readonly StoredFindingField[]): string {
  if (!fields) return FINDING_COLUMNS;
  const columns = new Set<string>(FIELD_COLUMNS.id);
  for (const field of fields) {
    const of = Object.hasOwn(FIELD_COLUMNS, field) ? FIELD_COLUMNS[field] : undefined;
    if (!of) throw new BadInputError(`unknown finding field ${JSON.stringify(field)}`);
    for (const column of of) columns.add(column);
  }
  return [...columns].join(', ');
}

class Parameters {
  readonly values: unknown[] = [];
  bind(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

function dataCondition(condition: FindingDataCondition, params: Parameters): string[] {
  const expression = findingDataExpression(condition.path, condition.fallbackPaths ?? []);
  const out: string[] = [];
  if (condition.equals !== undefined) out.push(`${expression} = ${params.bind(String(condition.equals))}`);
  if (condition.oneOf !== undefined) out.push(`${expression} = ANY(${params.bind(condition.oneOf.map(String), '::text[]')})`);
  if (condition.gt !== undefined) out.push(`${expression} > ${params.bind(String(condition.gt))}`);
  if (condition.gte !== undefined) out.push(`${expression} >= ${params.bind(String(condition.gte))}`);
  if (condition.lt !== undefined) out.push(`${expression} < ${params.bind(String(condition.lt))}`);
  if (condition.lte !== undefined) out.push(`${expression} <= ${params.bind(String(condition.lte))}`);
  if (out.length === 0) throw new BadInputError(`finding data condition on ${JSON.stringify(condition.path)} has no comparison (equals, oneOf, gt, gte, lt or lte)`);
  return out;
}

/** `(a AND b) OR (c)`: each alternative's comparisons together; no alternative admits nothing. */
function anyOfCondition(alternatives: FindingDataAlternatives, params: Parameters): string {
  if (alternatives.anyOf.length === 0) return 'FALSE';
  return `(${alternatives.anyOf.map((condition) => `(${dataCondition(condition, params).join(' AND ')})`).join(' OR ')})`;
}

/** A single value is compared with `=` (so a partial index on one kind is provably usable), several with ANY. */
function memberOf(column: string, values: readonly string[], params: Parameters): string {
  return values.length === 1 ? `${column} = ${params.bind(values[0])}` : `${column} = ANY(${params.bind([...values], '::text[]')})`;
}

const FINDING_STATUSES: readonly string[] = ['OPEN', 'RESOLVED', 'SUPPRESSED'];

/**
 * One status is compared as the column's own type (`"status" = $n`, the parameter typed by
 * Postgres from the column), so the (team, status, last seen) index serves a status page; an
 * enum's text cast cannot be indexed (not immutable). Values are checked first: a bad one is
 * the caller's error, not a database error.
 */
function statusCondition(statuses: readonly string[], params: Parameters): string {
  for (const status of statuses) {
    if (!FINDING_STATUSES.includes(status)) throw new BadInputError(`unknown finding status ${JSON.stringify(status)} (OPEN, RESOLVED or SUPPRESSED)`);
  }
  if (statuses.length === 0) return 'FALSE';
  if (statuses.length === 1) return `"status" = ${params.bind(statuses[0])}`;
  return `${FINDING_STATUS_EXPRESSION} = ANY(${params.bind([...statuses], '::text[]')})`;
}

/** Conditions of a filter; with a team, only that team's findings (the host always passes its request's team). */
function whereConditions(filter: FindingFilter, params: Parameters, team?: string): string[] {
  const conditions: string[] = [];
  if (team !== undefined) conditions.push(`"team" = ${params.bind(team)}`);
  // An empty list admits nothing, as SQL's `= ANY('{}')` would say.
  if (filter.kinds) conditions.push(filter.kinds.length ? memberOf(`"kind"`, filter.kinds, params) : 'FALSE');
  if (filter.severities) conditions.push(filter.severities.length ? memberOf(`"severity"`, filter.severities, params) : 'FALSE');
  if (filter.ruleIds) conditions.push(filter.ruleIds.length ? memberOf(`"rule_id"`, filter.ruleIds, params) : 'FALSE');
  if (filter.targets) conditions.push(filter.targets.length ? memberOf(`"target"`, filter.targets, params) : 'FALSE');
  if (filter.statuses) conditions.push(statusCondition(filter.statuses, params));
  if (filter.taskId !== undefined) conditions.push(`"task_id" = ${params.bind(filter.taskId, '::uuid')}`);
  for (const condition of filter.data ?? []) {
    if ('anyOf' in condition) conditions.push(anyOfCondition(condition, params));
    else conditions.push(...dataCondition(condition, params));
  }
  return conditions;
}

/** Where a page starts: the sort value and id of the last row of the previous page. */
export interface FindingKeyset {
  value: string;
  id: string;
}

/** The sort expression of an order, and whether it is newest (largest) first. */
export function findingOrderExpression(order: FindingOrder = {}): { expression: string; descending: boolean } {
  return {
    expression: order.dataPath ? findingDataExpression(order.dataPath) : `"last_seen_at"`,
    descending: order.descending ?? true,
  };
}

/**
 * One page of findings: `limit` rows matching `filter` after `after`, in `order` (default: last
 * seen first), ties by id. Ordering by a data path lists only findings that have that value.
 * The sort value is returned as `sort_key` (text) for the next cursor. With `fields`, only their
 * columns are read (and the id).
 */
export function compileFindingPageQuery(
  table: string,
  filter: FindingFilter,
  options: { limit: number; order?: FindingOrder; after?: FindingKeyset; team?: string; fields?: readonly StoredFindingField[] },
): SqlStatement {
  const params = new Parameters();
  const conditions = whereConditions(filter, params, options.team);
  const { expression, descending } = findingOrderExpression(options.order);
  if (options.order?.dataPath) conditions.push(`${expression} IS NOT NULL`);
  if (options.after) {
    const value = options.order?.dataPath ? params.bind(options.after.value) : params.bind(options.after.value, '::timestamptz');
    conditions.push(`(${expression}, "id") ${descending ? '<' : '>'} (${value}, ${params.bind(options.after.id, '::uuid')})`);
  }
  const direction = descending ? 'DESC' : 'ASC';
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  const sortKey = options.order?.dataPath ? expression : `to_char("last_seen_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const sql =
    `SELECT ${findingColumnsOf(options.fields)}, ${sortKey} AS "sort_key" FROM ${table}${where}` +
    ` ORDER BY ${expression} ${direction}, "id" ${direction} LIMIT ${params.bind(options.limit, '::int')}`;
  return { sql, params: params.values };
}

/** The number of findings matching `filter` (across pages; with a data-path order, those having that value). */
export function compileFindingCountQuery(table: string, filter: FindingFilter, order?: FindingOrder, team?: string): SqlStatement {
  const params = new Parameters();
  const conditions = whereConditions(filter, params, team);
  if (order?.dataPath) conditions.push(`${findingDataExpression(order.dataPath)} IS NOT NULL`);
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT count(*)::int AS "n" FROM ${table}${where}`, params: params.values };
}

/** The SQL of a group key: a column, or a `data` value with absent values as '' (see FindingGroupKey). */
export function findingGroupExpression(key: FindingGroupKey): string {
  if (typeof key === 'object') return `COALESCE(${findingDataExpression(key.dataPath)}, '')`;
  switch (key) {
    case 'kind':
      return `"kind"`;
    case 'severity':
      return `"severity"`;
    case 'ruleId':
      return `"rule_id"`;
    case 'target':
      return `"target"`;
    case 'status':
      return FINDING_STATUS_EXPRESSION;
    default:
      throw new BadInputError(`unknown finding group key ${JSON.stringify(key)}`);
  }
}

function groupExpressions(groupBy: readonly FindingGroupKey[]): string[] {
  if (groupBy.length === 0) throw new BadInputError('group findings by at least one key');
  return groupBy.map(findingGroupExpression);
}

/**
 * One page of finding counts per group: `SELECT k0, k1, count(*) ... GROUP BY ... ORDER BY
 * k0, k1 LIMIT n`, after the group `after` (its key values, compared as a row so the page
 * continues in key order). Columns `k0`..`kN` and `n`.
 */
export function compileFindingGroupQuery(
  table: string,
  filter: FindingFilter,
  options: { groupBy: readonly FindingGroupKey[]; limit: number; after?: readonly string[]; team?: string },
): SqlStatement {
  const params = new Parameters();
  const keys = groupExpressions(options.groupBy);
  const conditions = whereConditions(filter, params, options.team);
  if (options.after) {
    if (options.after.length !== keys.length) throw new BadInputError(`a group cursor holds ${options.after.length} keys, the grouping ${keys.length}`);
    conditions.push(`(${keys.join(', ')}) > (${options.after.map((value) => params.bind(value, '::text')).join(', ')})`);
  }
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  const positions = keys.map((_, index) => String(index + 1)).join(', ');
  const sql =
    `SELECT ${keys.map((key, index) => `${key} AS "k${index}"`).join(', ')}, count(*)::int AS "n" FROM ${table}${where}` +
    ` GROUP BY ${positions} ORDER BY ${positions} LIMIT ${params.bind(options.limit, '::int')}`;
  return { sql, params: params.values };
}

/** The number of groups compileFindingGroupQuery pages through (column `n`). */
export function compileFindingGroupCountQuery(table: string, filter: FindingFilter, groupBy: readonly FindingGroupKey[], team?: string): SqlStatement {
  const params = new Parameters();
  const keys = groupExpressions(groupBy);
  const conditions = whereConditions(filter, params, team);
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT count(*)::int AS "n" FROM (SELECT ${keys.join(', ')} FROM ${table}${where} GROUP BY ${keys.map((_, index) => String(index + 1)).join(', ')}) AS "groups"`, params: params.values };
}
