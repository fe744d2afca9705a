import { BadInputError } from '@bulkhead/plugin-sdk';

/** Forward keyset pagination, shaped for a Relay connection. */
export interface PageRequest {
  /** Page size (default 50, at most 500). */
  first?: number;
  /** `endCursor` of the previous page. */
  after?: string | null;
}

export interface Edge<T> {
  node: T;
  cursor: string;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export class InvalidCursorError extends BadInputError {
  constructor(cursor: string) {
    super(`invalid cursor ${JSON.stringify(cursor)}: pass the endCursor of a previous page`);
  }
}

export function pageSize(first: number | undefined): number {
  if (first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadInputError(`first must be an integer between 1 and ${MAX_PAGE_SIZE} (got ${first})`);
  }
  return first;
}

/** A cursor is the sort key of the last row seen: opaque to clients, checked when read back. */
export function encodeCursor(values: readonly string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): string[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (!Array.isArray(values) || values.length !== arity || values.some((v) => typeof v !== 'string')) throw new InvalidCursorError(cursor);
  return values as string[];
}

/** Builds a connection from `size + 1` fetched rows (the extra row only says whether there is a next page). */
export function toConnection<T>(rows: T[], size: number, cursorOf: (row: T) => string): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ node, cursor: cursorOf(node) }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
