import type { Connection as StoreConnection } from '@bulkhead/persistence';
import type { Connection } from './connection';

/** GraphQL passes null for omitted nullable arguments; the stores take undefined. */
export function pageRequest(first: number | null | undefined, after: string | null | undefined): { first?: number; after?: string } {
  return { ...(first === null || first === undefined ? {} : { first }), ...(after ? { after } : {}) };
}

/** A store page mapped to API models, with the total the connection reports. */
export function mapConnection<Row, Node>(page: StoreConnection<Row>, totalCount: number, toNode: (row: Row) => Node): Connection<Node> {
  return {
    edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: toNode(edge.node) })),
    pageInfo: page.pageInfo,
    totalCount,
  };
}
