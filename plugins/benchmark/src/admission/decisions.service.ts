import { Inject, Injectable } from '@nestjs/common';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { HOST_REQUEST_CONTEXT, PLUGIN_DATABASE, type Connection, type HostRequestContext, type PluginDatabase } from '@bulkhead/plugin-sdk/api';
import type { AdmissionDecisionFilter, AdmissionDecisionRecord } from './decisions.model';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

interface DecisionRow {
  id: string;
  at: Date;
  uid: string;
  kind: string;
  namespace: string;
  name: string;
  operation: string;
  outcome: string;
  allowed: boolean;
  reasons: string[];
  total: string;
}

/** A page position: the (at, id) of the last decision seen, newest first. */
interface Cursor {
  at: string;
  id: string;
}

export function encodeDecisionCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`, 'utf8').toString('base64url');
}

/** Reads a cursor this service made; anything else is BadInputError naming `after`. */
export function decodeDecisionCursor(after: string): Cursor {
  const text = after.length <= 200 ? Buffer.from(after, 'base64url').toString('utf8') : '';
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|([1-9]\d{0,18})$/.exec(text);
  if (!match || Number.isNaN(Date.parse(match[1] ?? ''))) throw new BadInputError('after: not an endCursor of admissionDecisions');
  return { at: match[1] ?? '', id: match[2] ?? '' };
}

/**
 * The admission_decision table of the request's team, newest first, keyset paginated on
 * (at, id) so a page costs the same at any depth (index `admission_decision_team_at_id`).
 */
@Injectable()
export class AdmissionDecisionsService {
  constructor(
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext,
  ) {}

  async list(filter: AdmissionDecisionFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Connection<AdmissionDecisionRecord>> {
    const size = first ?? DEFAULT_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw new BadInputError(`first: ${size} is not between 1 and ${MAX_PAGE}`);
    if (filter?.since && Number.isNaN(filter.since.getTime())) throw new BadInputError('filter.since: not a valid instant');
    const where = ['team = $1'];
    const parameters: unknown[] = [this.context.requestTeam()];
    const add = (sql: (n: number) => string, value: unknown): void => {
      parameters.push(value);
      where.push(sql(parameters.length));
    };
    if (filter?.allowed !== undefined && filter.allowed !== null) add((n) => `allowed = $${n}`, filter.allowed);
    if (filter?.namespace !== undefined && filter.namespace !== null) add((n) => `namespace = $${n}`, filter.namespace);
    if (filter?.since) add((n) => `at >= $${n}`, filter.since);
    // The count covers the filter, not the page position.
    const counted = where.join(' AND ');
    const countParameters = [...parameters];
    if (after) {
      const cursor = decodeDecisionCursor(after);
      parameters.push(cursor.at, cursor.id);
      where.push(`(at, id) < ($${parameters.length - 1}::timestamptz, $${parameters.length}::bigint)`);
    }
    parameters.push(size + 1);
    const rows = await this.db.query<DecisionRow>(
      `SELECT id::text AS id, at, uid, kind, namespace, name, operation, outcome, allowed, reasons,
              (SELECT count(*) FROM admission_decision WHERE ${counted})::text AS total
       FROM admission_decision WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT $${parameters.length}`,
      parameters,
    );
    const page = rows.slice(0, size);
    const edges = page.map((row) => ({ cursor: encodeDecisionCursor(new Date(row.at), row.id), node: toRecord(row) }));
    const totalCount = rows[0] ? Number(rows[0].total) : await this.count(counted, countParameters);
    return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null }, totalCount };
  }

  /** For an empty page (past the end) the count is still the filter's. */
  private async count(where: string, parameters: unknown[]): Promise<number> {
    const [row] = await this.db.query<{ total: string }>(`SELECT count(*)::text AS total FROM admission_decision WHERE ${where}`, parameters);
    return Number(row?.total ?? 0);
  }
}

function toRecord(row: DecisionRow): AdmissionDecisionRecord {
  return {
    id: row.id,
    at: new Date(row.at),
    uid: row.uid,
    kind: row.kind,
    namespace: row.namespace,
    name: row.name,
    operation: row.operation,
    outcome: row.outcome,
    allowed: row.allowed,
    reasons: Array.isArray(row.reasons) ? row.reasons.map(String) : [],
  };
}
