import { BadInputError } from '../errors';
import { compileFindingPageQuery, FINDING_COLUMNS, findingColumnsOf } from './finding-sql';
import type { StoredFindingField } from './host';

describe('findingColumnsOf', () => {
  it('reads only the columns of the fields asked for, always the id', () => {
    expect(findingColumnsOf(['severity', 'title'])).toBe('"id", "severity", "title"');
    expect(findingColumnsOf([])).toBe('"id"');
    expect(findingColumnsOf(['status', 'reopened'])).toBe('"id", "status"::text AS "status", "reopened_at"');
    expect(findingColumnsOf(undefined)).toBe(FINDING_COLUMNS);
  });

  it('refuses a field that is not a stored finding field, by name', () => {
    expect(() => findingColumnsOf(['title', 'data; DROP TABLE finding' as StoredFindingField])).toThrow(BadInputError);
    expect(() => findingColumnsOf(['constructor' as StoredFindingField])).toThrow(/unknown finding field "constructor"/);
  });

  it('a page query selects those columns and nothing of data', () => {
    const { sql } = compileFindingPageQuery('finding', { severities: ['HIGH'] }, { limit: 51, team: 't', fields: ['severity'] });
    expect(sql).toMatch(/^SELECT "id", "severity", to_char\("last_seen_at"/);
    expect(sql).not.toMatch(/"data"/);
  });
});

describe('status conditions', () => {
  it('compare one status as the column (its index serves the page), several as text, and refuse unknown ones', () => {
    expect(compileFindingPageQuery('finding', { statuses: ['RESOLVED'] }, { limit: 2 }).sql).toMatch(/WHERE "status" = \$1 ORDER BY/);
    expect(compileFindingPageQuery('finding', { statuses: ['OPEN', 'SUPPRESSED'] }, { limit: 2 }).sql).toMatch(/WHERE "status"::text = ANY\(\$1::text\[\]\)/);
    expect(compileFindingPageQuery('finding', { statuses: [] }, { limit: 2 }).sql).toMatch(/WHERE FALSE/);
    expect(() => compileFindingPageQuery('finding', { statuses: ['open' as 'OPEN'] }, { limit: 2 })).toThrow('unknown finding status "open" (OPEN, RESOLVED or SUPPRESSED)');
  });
});
