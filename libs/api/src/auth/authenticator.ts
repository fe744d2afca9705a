import { hashTokenSecret, type ApiTokenStore, type TokenRejection } from '@bulkhead/persistence';
import type { Logger } from '@bulkhead/common';
import type { Principal } from '@bulkhead/plugin-sdk/api';
import type { TokenCache } from './token-cache';

/** The outcome of reading a request's credentials. */
export type Authentication = { principal: Principal } | { principal?: undefined; problem: string };

const PROBLEMS: Record<TokenRejection | 'missing' | 'scheme', string> = {
  missing: 'authentication required: send an API token (Authorization: Bearer bhk_...)',
  scheme: 'the Authorization header must be `Bearer <token>`',
  malformed: 'the API token is not valid',
  unknown: 'the API token is not valid',
  revoked: 'the API token has been revoked',
  expired: 'the API token has expired',
};

/**
 * Turns a presented credential (an `Authorization` header, or a graphql-ws connection_init
 * payload) into a principal. Kube-apiserver's audit webhook sends a kubeconfig `token:` as the
 * same `Authorization: Bearer` header, so ingest routes need nothing else.
 */
export class Authenticator {
  constructor(
    private readonly tokens: ApiTokenStore,
    private readonly logger: Logger,
    /** Valid tokens for a few seconds (token-cache.ts); without it every request reads Postgres. */
    private readonly cache?: TokenCache,
  ) {}

  /** From an Authorization header value (or its absence). */
  async fromHeader(header: string | undefined): Promise<Authentication> {
    if (header === undefined || header.trim() === '') return { problem: PROBLEMS.missing };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return { problem: PROBLEMS.scheme };
    return this.fromSecret(match[1] as string);
  }

  /** From a graphql-ws connection_init payload: `{ authorization: "Bearer …" }` or `{ token: "…" }`. */
  async fromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): Promise<Authentication> {
    const authorization = params?.['authorization'] ?? params?.['Authorization'];
    if (typeof authorization === 'string') return this.fromHeader(authorization);
    const token = params?.['token'];
    if (typeof token === 'string') return this.fromSecret(token);
    return { problem: PROBLEMS.missing };
  }

  /** Why an authenticated token may no longer be used (revoked, expired, deleted since), or undefined. */
  async problemSince(tokenId: string, now = new Date()): Promise<string | undefined> {
    const token = await this.tokens.get(tokenId);
    if (!token) return PROBLEMS.unknown;
    if (token.revokedAt) return PROBLEMS.revoked;
    if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return PROBLEMS.expired;
    return undefined;
  }

  private async fromSecret(secret: string, now = Date.now()): Promise<Authentication> {
    const hash = this.cache ? hashTokenSecret(secret) : '';
    const cached = this.cache?.get(hash);
    if (cached) {
      // Expiry is exact whether the token came from the cache or not.
      if (cached.expiresAt && cached.expiresAt.getTime() <= now) return { problem: PROBLEMS.expired };
      return { principal: { tokenId: cached.id, name: cached.name, team: cached.team, role: cached.role } };
    }
    const since = this.cache?.begin();
    const check = await this.tokens.verify(secret);
    if (!check.ok) return { problem: PROBLEMS[check.reason] };
    check.touched?.catch((error: unknown) => this.logger.warn({ err: (error as Error).message, tokenId: check.token.id }, 'recording token use failed'));
    if (since !== undefined) this.cache?.put(hash, check.token, since);
    const { id, name, team, role } = check.token;
    return { principal: { tokenId: id, name, team, role } };
  }
}
