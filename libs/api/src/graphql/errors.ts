import { GraphQLError } from 'graphql';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * Cursors are opaque to clients: base64url of a JSON array of the sort-key values of the last
 * row seen (keyset pagination, so a page stays correct while rows are added before it).
 */
export function encodeCursor(keys: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(keys), 'utf8').toString('base64url');
}

/** Decodes a cursor made by encodeCursor with `arity` keys; anything else is a BAD_USER_INPUT error. */
export function decodeCursor(cursor: string, arity: number, argument = 'after'): (string | number)[] {
  let keys: unknown;
  try {
    keys = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    keys = undefined;
  }
  if (!Array.isArray(keys) || keys.length !== arity || !keys.every((k) => typeof k === 'string' || typeof k === 'number')) {
    throw badUserInput(`${argument}: ${JSON.stringify(cursor)} is not a cursor returned by this query`, argument);
  }
  return keys as (string | number)[];
}

/** Validates `first`: default DEFAULT_PAGE_SIZE, 1..MAX_PAGE_SIZE. */
export function pageSize(first: number | null | undefined, argument = 'first'): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`${argument} must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`, argument);
  }
  return first;
}

/** A client error (code BAD_USER_INPUT) naming the offending argument or input fields. */
export function badUserInput(message: string, field?: string | string[]): GraphQLError {
  const fields = field === undefined ? undefined : Array.isArray(field) ? field : [field];
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(fields ? { fields } : {}) } });
}
