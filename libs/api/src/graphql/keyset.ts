import type { Connection } from './connection';
import { encodeCursor } from './cursor';

/**
 * Builds a connection from a page fetched with one row more than asked for: the extra row only
 * tells whether a next page exists.
 */
export function toConnection<Row, Node>(
  rows: readonly Row[],
  first: number,
  totalCount: number,
  cursorKeys: (row: Row) => (string | number)[],
  toNode: (row: Row) => Node,
): Connection<Node> {
  const page = rows.slice(0, first);
  const edges = page.map((row) => ({ cursor: encodeCursor(cursorKeys(row)), node: toNode(row) }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
