import { compileFindingCountQuery, findingDataExpression } from './finding-sql';

describe('FindingFilter data alternatives (anyOf)', () => {
  it('compiles to an OR of the alternatives, each with its own bound values, next to the other conditions', () => {
    const repository = findingDataExpression(['output_fields', 'container.image.repository']);
    const image = findingDataExpression(['output_fields', 'container.image']);
    const query = compileFindingCountQuery('"finding"', {
      kinds: ['runtime'],
      data: [{ anyOf: [{ path: ['output_fields', 'container.image.repository'], equals: 'nginx' }, { path: ['output_fields', 'container.image'], equals: 'nginx:1.25', gte: 'a' }] }, { path: ['priority'], equals: 'Error' }],
    });
    expect(query.sql).toBe(
      `SELECT count(*)::int AS "n" FROM "finding" WHERE "kind" = $1 AND ((${repository} = $2) OR (${image} = $3 AND ${image} >= $4)) AND ${findingDataExpression(['priority'])} = $5`,
    );
    expect(query.params).toEqual(['runtime', 'nginx', 'nginx:1.25', 'a', 'Error']);
  });

  it('admits nothing for no alternatives, and refuses an alternative without a comparison', () => {
    expect(compileFindingCountQuery('"finding"', { data: [{ anyOf: [] }] }).sql).toBe('SELECT count(*)::int AS "n" FROM "finding" WHERE FALSE');
    expect(() => compileFindingCountQuery('"finding"', { data: [{ anyOf: [{ path: ['a'] }] }] })).toThrow(/has no comparison/);
  });
});
