import { Inject } from '@nestjs/common';
import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { parseExpiry, type ApiTokenStore, type AuditLogStore } from '@bulkhead/persistence';
import { pageRequest, RequireRole } from '@bulkhead/plugin-sdk/api';
import { GraphQLError } from 'graphql';
import { mapConnection } from '../graphql/pagination';
import { requestContext } from '../host/request-context';
import { API_TOKEN_STORE, AUDIT_LOG_STORE } from '../tokens';
import { ApiToken, AuditLogConnection, CreatedApiToken, RoleName, toApiToken, toAuditLogEntry } from './api-token.model';

/**
 * Token management and the audit log, for admins of a team: an admin sees and manages its own
 * team's tokens and audit entries only. Tokens for another team (and its first admin) are made
 * with `bulkhead token create`, which needs the database, not the API.
 */
@Resolver()
@RequireRole('admin')
export class AccessResolver {
  constructor(
    @Inject(API_TOKEN_STORE) private readonly tokens: ApiTokenStore,
    @Inject(AUDIT_LOG_STORE) private readonly audit: AuditLogStore,
  ) {}

  @Mutation(() => CreatedApiToken, { description: "Creates an API token of the caller's team; its secret is returned this once." })
  async createApiToken(
    @Args('name') name: string,
    @Args('role', { type: () => RoleName }) role: RoleName,
    @Args('expiresIn', { type: () => String, nullable: true, description: 'Lifetime such as 30d, 12h or 90m; default: never expires.' }) expiresIn?: string | null,
  ): Promise<CreatedApiToken> {
    const principal = requestContext.requirePrincipal();
    const { token, secret } = await this.tokens.create({ name, team: principal.team, role, expiresAt: expiresIn ? parseExpiry(expiresIn) : null, createdBy: principal.tokenId });
    return { token: toApiToken(token), secret };
  }

  @Query(() => [ApiToken], { description: "The caller's team's API tokens, newest first (revoked and expired ones included)." })
  async apiTokens(): Promise<ApiToken[]> {
    return (await this.tokens.list(requestContext.requirePrincipal().team)).map(toApiToken);
  }

  @Mutation(() => ApiToken, { description: 'Revokes a token of the caller\'s team at once (NOT_FOUND otherwise). Revoking twice keeps the first time.' })
  async revokeApiToken(@Args('id', { type: () => ID }) id: string): Promise<ApiToken> {
    const token = await this.tokens.revoke(id, requestContext.requirePrincipal().team);
    if (!token) throw new GraphQLError(`no API token ${JSON.stringify(id)} in your team`, { extensions: { code: 'NOT_FOUND' } });
    return toApiToken(token);
  }

  @Query(() => AuditLogConnection, { description: "The caller's team's audit log (mutations and token operations), newest first." })
  async auditLog(
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ): Promise<AuditLogConnection> {
    const team = requestContext.requirePrincipal().team;
    const [page, total] = await Promise.all([this.audit.page(team, pageRequest(first, after)), this.audit.count(team)]);
    return mapConnection(page, total, toAuditLogEntry) as AuditLogConnection;
  }
}
