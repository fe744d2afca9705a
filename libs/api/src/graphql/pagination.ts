import type { Connection as StoreConnection } from '@bulkhead/persistence';
import type { Connection } from '@bulkhead/plugin-sdk/api';

export { pageRequest } from '@bulkhead/plugin-sdk/api';

/** A store page mapped to API models, with the total the connection reports. */
export function mapConnection<Row, Node>(page: StoreConnection<Row>, totalCount: number, toNode: (row: Row) => Node): Connection<Node> {
  return {
    edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: toNode(edge.node) })),
    pageInfo: page.pageInfo,
    totalCount,
  };
}
