import type { ApolloServerPlugin, GraphQLRequestListener, GraphQLServerListener } from '@apollo/server';
import type { Logger } from '@bulkhead/common';
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../host/database-unavailable';
import { checkOperation, PARSE_MAX_TOKENS, type RequestLimits } from './request-limits';

/**
 * The request limits on HTTP: checked once the operation is known (after parsing and
 * validation), before it runs. Also keeps the schema for the graphql-ws checks below.
 */
export class RequestLimitsPlugin implements ApolloServerPlugin {
  schema: GraphQLSchema | undefined;

  constructor(private readonly limits: RequestLimits) {}

  async serverWillStart({ schema }: { schema: GraphQLSchema }): Promise<GraphQLServerListener | void> {
    this.schema = schema;
  }

  async requestDidStart(): Promise<GraphQLRequestListener<object>> {
    const limits = this.limits;
    return {
      async didResolveOperation({ schema, document, operation, request }) {
        const problem = operation ? checkOperation(schema, document, operation, request.variables, limits) : undefined;
        if (problem) throw problem;
      },
    };
  }
}

export interface GraphqlWsLimits {
  limits: RequestLimits;
  /** Subscriptions one connection may hold at once (BULKHEAD_WS_MAX_SUBSCRIPTIONS). */
  maxSubscriptions: number;
  plugin: RequestLimitsPlugin;
}

/**
 * graphql-ws server options: only subscriptions (queries and mutations go over HTTP, where a
 * browser page cannot make them without CORS), at most `maxSubscriptions` at once per
 * connection, and the same depth, alias, cost and NUL limits as HTTP.
 */
export function graphqlWsHooks(options: GraphqlWsLimits): { onSubscribe(ctx: Context, id: string, payload: SubscribePayload): readonly GraphQLError[] | undefined } {
  return {
    onSubscribe(ctx, id, payload) {
      // graphql-ws has already reserved this id in ctx.subscriptions: the others are what counts.
      const active = Object.keys(ctx.subscriptions).filter((other) => other !== id).length;
      if (active >= options.maxSubscriptions) {
        return [new GraphQLError(`this connection already has ${active} subscriptions; at most ${options.maxSubscriptions} are allowed (BULKHEAD_WS_MAX_SUBSCRIPTIONS)`, { extensions: { code: 'BAD_USER_INPUT' } })];
      }
      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: PARSE_MAX_TOKENS });
      } catch (error) {
        return [new GraphQLError((error as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
      }
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
      const operation = payload.operationName ? operations.find((o) => o.name?.value === payload.operationName) : operations.length === 1 ? operations[0] : undefined;
      if (!operation) return undefined; // graphql-ws answers the missing or ambiguous operation itself
      if (operation.operation !== 'subscription') {
        return [new GraphQLError(`only subscriptions are carried over graphql-ws; send ${operation.operation === 'mutation' ? 'mutations' : 'queries'} as HTTP POST /graphql`, { extensions: { code: 'BAD_USER_INPUT' } })];
      }
      const schema = options.plugin.schema;
      if (!schema) return undefined;
      // The limits walk fragments: only a valid document (no fragment cycles) is walked.
      const invalid = validate(schema, document);
      if (invalid.length > 0) return invalid;
      const problem = checkOperation(schema, document, operation, payload.variables ?? undefined, options.limits);
      return problem ? [problem] : undefined;
    },
  };
}

const INTERNAL_MESSAGE = 'Internal server error (the API log has the details)';

/**
 * Errors as clients see them: without stack traces, and an unexpected failure (which may quote
 * SQL, host paths or connection strings) reduced to a generic message; the original goes to the
 * log. BULKHEAD_DEBUG_ERRORS=true keeps both for debugging.
 */
export function formatGraphqlError(debug: boolean, logger: Logger): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    if (debug) return formatted;
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    const code = extensions['code'];
    if (code === undefined || code === 'INTERNAL_SERVER_ERROR') {
      const original = (error as { originalError?: Error }).originalError ?? error;
      if (isDatabaseUnavailable(original)) {
        logger.warn({ err: original instanceof Error ? original.message : String(original), path: formatted.path }, 'graphql request failed: database unavailable');
        return { message: DATABASE_UNAVAILABLE_MESSAGE, ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'SERVICE_UNAVAILABLE' } };
      }
      logger.error({ err: original instanceof Error ? { message: original.message, stack: original.stack } : String(original), path: formatted.path }, 'graphql request failed');
      return { message: INTERNAL_MESSAGE, ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    return { ...formatted, extensions };
  };
}
