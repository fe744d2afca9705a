import { GraphQLError } from 'graphql';
import { decodeCursor, encodeCursor, pageSize } from './cursor';

describe('cursors', () => {
  it('round-trips sort keys', () => {
    expect(decodeCursor(encodeCursor(['2026-01-01T00:00:00.000Z', 'abc']), 2)).toEqual(['2026-01-01T00:00:00.000Z', 'abc']);
  });

  it('rejects foreign and mis-shaped cursors with BAD_USER_INPUT naming the argument', () => {
    for (const bad of ['not-base64!!', encodeCursor(['only-one']), Buffer.from('{"a":1}').toString('base64url')]) {
      let error: unknown;
      try {
        decodeCursor(bad, 2);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions['code']).toBe('BAD_USER_INPUT');
      expect((error as GraphQLError).message).toMatch(/^after: /);
    }
  });

  it('bounds page sizes', () => {
    expect(pageSize(undefined)).toBe(50);
    expect(pageSize(500)).toBe(500);
    expect(() => pageSize(0)).toThrow('first must be between 1 and 500, got 0');
    expect(() => pageSize(501)).toThrow(GraphQLError);
  });
});
