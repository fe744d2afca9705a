import { createLogger } from '@bulkhead/common';
import { GraphQLError } from 'graphql';
import { formatGraphqlError } from './hardening';

const logger = createLogger('hardening-spec', { level: 'silent' });
const sqlError = new Error('duplicate key value violates unique constraint "UQ_x" -- INSERT INTO "finding" /srv/bulkhead/data');

describe('formatGraphqlError', () => {
  const formatted = { message: sqlError.message, path: ['submitTask'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['Error: x', '    at /srv/bulkhead/dist/a.js:1:1'] } };

  it('reduces an unexpected error to a generic message without stack, SQL or paths', () => {
    const answer = formatGraphqlError(false, logger)(formatted, new GraphQLError(sqlError.message, { originalError: sqlError }));
    expect(answer).toEqual({ message: 'Internal server error (the API log has the details)', path: ['submitTask'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('keeps client errors, without a stack trace', () => {
    const input = { message: 'first must be at most 500', extensions: { code: 'BAD_USER_INPUT', max: 500, stacktrace: ['at x'] } };
    expect(formatGraphqlError(false, logger)(input, new GraphQLError(input.message))).toEqual({ message: input.message, extensions: { code: 'BAD_USER_INPUT', max: 500 } });
  });

  it('keeps everything with BULKHEAD_DEBUG_ERRORS', () => {
    expect(formatGraphqlError(true, logger)(formatted, sqlError)).toBe(formatted);
  });
});
