import { BadInputError } from '../errors';
import { compileFindingGroupCountQuery, compileFindingGroupQuery, findingGroupExpression } from './finding-sql';

const TABLE = '"s"."finding"';

describe('compileFindingGroupQuery', () => {
  it('groups and orders by the keys, binds every value and continues after the cursor keys as a row', () => {
    const { sql, params } = compileFindingGroupQuery(
      TABLE,
      { kinds: ['scanner'], targets: ['sha256:a', 'sha256:b'], data: [{ path: ['findingType'], equals: 'vulnerability' }] },
      { groupBy: ['target', 'severity', { dataPath: ['status'] }], limit: 101, after: ['sha256:a', 'HIGH', `x' OR 1=1`], team: 'team-a' },
    );
    expect(sql).toBe(
      `SELECT "target" AS "k0", "severity" AS "k1", COALESCE(("data" ->> 'status'), '') AS "k2", count(*)::int AS "n" FROM "s"."finding"` +
        ` WHERE "team" = $1 AND "kind" = $2 AND "target" = ANY($3::text[]) AND ("data" ->> 'findingType') = $4` +
        ` AND ("target", "severity", COALESCE(("data" ->> 'status'), '')) > ($5::text, $6::text, $7::text)` +
        ` GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT $8::int`,
    );
    expect(params).toEqual(['team-a', 'scanner', ['sha256:a', 'sha256:b'], 'vulnerability', 'sha256:a', 'HIGH', `x' OR 1=1`, 101]);
  });

  it('counts the groups (not the rows) under the same conditions', () => {
    const { sql, params } = compileFindingGroupCountQuery(TABLE, { ruleIds: ['CVE-1'] }, ['target'], 'team-a');
    expect(sql).toBe(`SELECT count(*)::int AS "n" FROM (SELECT "target" FROM "s"."finding" WHERE "team" = $1 AND "rule_id" = $2 GROUP BY 1) AS "groups"`);
    expect(params).toEqual(['team-a', 'CVE-1']);
  });

  it('refuses no keys, an unknown key and a cursor of another arity', () => {
    expect(() => compileFindingGroupQuery(TABLE, {}, { groupBy: [], limit: 1 })).toThrow(BadInputError);
    expect(() => findingGroupExpression('data' as never)).toThrow(/unknown finding group key/);
    expect(() => compileFindingGroupQuery(TABLE, {}, { groupBy: ['target'], limit: 1, after: ['a', 'b'] })).toThrow(/2 keys, the grouping 1/);
    expect(() => findingGroupExpression({ dataPath: [] })).toThrow(BadInputError);
  });
});
