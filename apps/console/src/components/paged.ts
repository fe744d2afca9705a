import { useSearchParams } from 'react-router-dom';
import { useQuery, type AnyVariables, type TypedDocumentNode } from 'urql';
import { graphql } from '../gql';
import type { KeysetPageFragment as KeysetPage } from '../gql/graphql';

/** What a keyset Pager needs of a connection's pageInfo; every paged query spreads it. */
export const KeysetPageFragment = graphql(`
  fragment KeysetPage on PageInfo {
    endCursor
    hasNextPage
  }
`);

/** Rows a list asks for at once: one keyset page. */
export const PAGE_SIZE = 50;

/** What the API's keyset connections have in common (tasks, findings, images, alerts…). */
export interface Connection<Node = unknown> {
  totalCount: number;
  pageInfo: KeysetPage;
  edges: ReadonlyArray<{ node: Node }>;
}

/**
 * One page of a connection query: `first` is the page size and `after` the cursor the URL holds
 * (`param`), so the page, like the filters, survives a reload and can be shared as a link.
 */
export function usePagedQuery<Data, Variables extends AnyVariables>(query: TypedDocumentNode<Data, Variables>, variables: Omit<Variables, 'first' | 'after'>, param = 'after') {
  const [params] = useSearchParams();
  return useQuery<Data, Variables>({ query, variables: { ...variables, first: PAGE_SIZE, after: params.get(param) } as unknown as Variables });
}

/** The nodes of a connection, in order. */
export function nodesOf<Node>(connection: Connection<Node>): Node[] {
  return connection.edges.map((edge) => edge.node);
}
