import type { Type } from '@nestjs/common';
import { Field, Int, ObjectType } from '@nestjs/graphql';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import type { Page } from './host';

/*
 * GraphQL building blocks shared by the host's core types and every plugin's API module, so
 * that the schema has one PageInfo and one JSON scalar whoever declares a connection.
 */

/**
 * Any JSON value (task inputs and results, finding data), and a JSON object. From
 * graphql-scalars; one instance per process, so host and plugins name the same `JSON` type.
 */
export { GraphQLJSON, GraphQLJSONObject };

/**
 * The cost a field whose value can be megabytes (a task's result) adds to a GraphQL operation:
 * declare it with `@Field(() => GraphQLJSON, { complexity: LARGE_FIELD_COST })`. With the host's
 * default limit (BULKHEAD_GRAPHQL_MAX_COST=20000) one request selects at most 5 such fields, so
 * 200 aliases of `task { result }` are refused before anything is read. Other JSON fields cost
 * JSON_FIELD_COST, every other field 1; a field's `complexity` overrides both.
 */
export const LARGE_FIELD_COST = 4000;
export const JSON_FIELD_COST = 10;

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to fetch the next page; null on an empty page.' })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: number;
}

/**
 * A Relay connection type for `node` (code-first generics are not possible, so each connection is
 * a class made by this factory: `class TaskConnection extends ConnectionType(Task, 'Task') {}`).
 */
export function ConnectionType<T>(node: Type<T>, name: string): Type<Connection<T>> {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field()
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType({ isAbstract: true })
  class ConnectionTypeClass {
    @Field(() => [EdgeType])
    edges!: Edge<T>[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Number of items matching the query across all pages.' })
    totalCount!: number;
  }
  return ConnectionTypeClass;
}

/** A host Page (tasks, findings) as a connection of GraphQL models. */
export function connectionOf<Item, Node>(page: Page<Item>, toNode: (item: Item) => Node): Connection<Node> {
  return {
    edges: page.items.map((item, index) => ({ cursor: page.cursors[index] ?? '', node: toNode(item) })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    totalCount: page.totalCount,
  };
}

/** GraphQL passes null for omitted nullable arguments; host page requests take undefined. */
export function pageRequest(first: number | null | undefined, after: string | null | undefined): { first?: number; after?: string } {
  return { ...(first === null || first === undefined ? {} : { first }), ...(after ? { after } : {}) };
}
