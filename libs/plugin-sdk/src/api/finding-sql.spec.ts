import { BadInputError } from '../errors';
import { compileFindingCountQuery, compileFindingPageQuery, findingDataExpression, findingKindPredicate, sqlTextLiteral } from './finding-sql';

const TABLE = '"s"."finding"';

describe('findingDataExpression', () => {
  it('reads a text value by its path of keys, COALESCEing fallbacks in order', () => {
    expect(findingDataExpression(['time'])).toBe(`("data" ->> 'time')`);
    expect(findingDataExpression(['output_fields', 'k8s.ns.name'], [['output_fields', 'ka.target.namespace']])).toBe(
      `COALESCE(("data" -> 'output_fields' ->> 'k8s.ns.name'), ("data" -> 'output_fields' ->> 'ka.target.namespace'))`,
    );
  });

  it('quotes keys carrying quotes as SQL literals (never an identifier or a bare string)', () => {
    expect(findingDataExpression([`it's`, `a"b`])).toBe(`("data" -> 'it''s' ->> 'a"b')`);
    expect(findingDataExpression([`'); DROP TABLE finding; --`])).toBe(`("data" ->> '''); DROP TABLE finding; --')`);
    expect(sqlTextLiteral(`\\'`)).toBe(`'\\'''`);
  });

  it('refuses empty paths, empty or NUL-carrying keys and absurdly long keys', () => {
    expect(() => findingDataExpression([])).toThrow(BadInputError);
    expect(() => findingDataExpression([''])).toThrow(/non-empty/);
    expect(() => findingDataExpression(['a\u0000b'])).toThrow(/NUL/);
    expect(() => findingDataExpression(['k'.repeat(300)])).toThrow(/longer than 256/);
    expect(() => findingKindPredicate('a\u0000')).toThrow(/NUL/);
  });
});

describe('compileFindingPageQuery', () => {
  it('binds every value as a parameter, in order, whatever it contains', () => {
    const hostile = `x' OR '1'='1`;
    const { sql, params } = compileFindingPageQuery(
      TABLE,
      {
        kinds: ['runtime'],
        severities: ['HIGH', 'CRITICAL'],
        ruleIds: [hostile],
        targets: ['t1'],
        taskId: '00000000-0000-4000-8000-000000000000',
        data: [
          { path: ['priority'], oneOf: ['Error', hostile] },
          { path: ['time'], gte: '2025-01-01', lt: hostile },
          { path: ['output_fields', 'k8s.ns.name'], fallbackPaths: [['output_fields', 'ka.target.namespace']], equals: hostile },
        ],
      },
      { limit: 51 },
    );
    expect(sql).not.toContain(hostile);
    expect(params).toEqual(['runtime', ['HIGH', 'CRITICAL'], hostile, 't1', '00000000-0000-4000-8000-000000000000', ['Error', hostile], '2025-01-01', hostile, hostile, 51]);
    expect(sql).toBe(
      `SELECT "id", "kind", "severity", "rule_id", "title", "target", "location", "data", "fingerprint", "task_id", "first_seen_at", "last_seen_at", "status"::text AS "status", "resolved_at", "reopened_at", ` +
        `to_char("last_seen_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "sort_key" FROM "s"."finding" ` +
        `WHERE "kind" = $1 AND "severity" = ANY($2::text[]) AND "rule_id" = $3 AND "target" = $4 AND "task_id" = $5::uuid ` +
        `AND ("data" ->> 'priority') = ANY($6::text[]) AND ("data" ->> 'time') >= $7 AND ("data" ->> 'time') < $8 ` +
        `AND COALESCE(("data" -> 'output_fields' ->> 'k8s.ns.name'), ("data" -> 'output_fields' ->> 'ka.target.namespace')) = $9 ` +
        `ORDER BY "last_seen_at" DESC, "id" DESC LIMIT $10::int`,
    );
  });

  it('orders by a data path with the same expression an index uses, keyset after the cursor', () => {
    const order = { dataPath: ['time'], descending: true };
    const { sql, params } = compileFindingPageQuery(TABLE, { kinds: ['runtime'] }, { limit: 10, order, after: { value: '2025-01-01T00:00:00Z', id: 'i' } });
    const expression = findingDataExpression(['time']);
    expect(sql).toContain(`${expression} IS NOT NULL AND (${expression}, "id") < ($2, $3::uuid)`);
    expect(sql).toContain(`ORDER BY ${expression} DESC, "id" DESC`);
    expect(params).toEqual(['runtime', '2025-01-01T00:00:00Z', 'i', 10]);
    const ascending = compileFindingPageQuery(TABLE, {}, { limit: 5, order: { dataPath: ['time'], descending: false }, after: { value: 'v', id: 'i' } });
    expect(ascending.sql).toContain(`(${expression}, "id") > ($1, $2::uuid)`);
    expect(ascending.sql).toContain('ASC, "id" ASC');
  });

  it('a last-seen cursor is compared as a timestamp; an empty list admits nothing', () => {
    const { sql } = compileFindingPageQuery(TABLE, { kinds: [], ruleIds: [] }, { limit: 5, after: { value: '2025-01-01T00:00:00.000Z', id: 'i' } });
    expect(sql).toContain('WHERE FALSE AND FALSE AND ("last_seen_at", "id") < ($1::timestamptz, $2::uuid)');
  });

  it('refuses a data condition without a comparison', () => {
    expect(() => compileFindingPageQuery(TABLE, { data: [{ path: ['a'] }] }, { limit: 1 })).toThrow(/has no comparison/);
  });
});

describe('compileFindingCountQuery', () => {
  it('counts with the same conditions, and only rows with the order value when ordering by data', () => {
    const { sql, params } = compileFindingCountQuery(TABLE, { kinds: ['runtime', 'benchmark'] }, { dataPath: ['time'] });
    expect(sql).toBe(`SELECT count(*)::int AS "n" FROM "s"."finding" WHERE "kind" = ANY($1::text[]) AND ("data" ->> 'time') IS NOT NULL`);
    expect(params).toEqual([['runtime', 'benchmark']]);
  });
});
