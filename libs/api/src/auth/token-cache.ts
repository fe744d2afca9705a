import type { Logger } from '@bulkhead/common';
import { ApiTokenStore, type ApiTokenEntity } from '@bulkhead/persistence';
import type { DataSource } from 'typeorm';

/** The channel of ApiTokenChangeNotify1766000000400's trigger: `<schema>:<token id>` per changed or deleted token. */
export const TOKEN_CHANGE_CHANNEL = 'bulkhead_api_token';

/** What a request needs of a valid token (its expiry is checked on every use, cached or not). */
export type CachedToken = Pick<ApiTokenEntity, 'id' | 'name' | 'team' | 'role' | 'expiresAt'>;

export interface TokenCacheOptions {
  /** How long a looked-up token is trusted without Postgres (default 3 s): bounds a change no notification reported. */
  ttlMs?: number;
  /** Most tokens held (default 10,000; the oldest entry goes first). Only valid tokens are held. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Valid API tokens by secret hash, for a few seconds, so a request does not cost a token lookup
 * (issue 15: one of the five statements of a task). It is only used while it is told of every
 * change: `setLive(true)` once the TokenChangeListener listens, `setLive(false)` when its
 * connection drops (then every request reads Postgres again until it listens anew), and either
 * empties it, since changes may have been missed meanwhile. A change (`invalidate`) drops the
 * token's entries and also bumps an epoch, so a lookup that was in flight while the change
 * arrived does not store what it read before the change.
 */
export class TokenCache {
  private readonly entries = new Map<string, { token: CachedToken; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private epoch = 0;
  private live = false;

  constructor(options: TokenCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 3_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get isLive(): boolean {
    return this.live;
  }

  get size(): number {
    return this.entries.size;
  }

  get(secretHash: string): CachedToken | undefined {
    if (!this.live) return undefined;
    const entry = this.entries.get(secretHash);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(secretHash);
      return undefined;
    }
    return entry.token;
  }

  /** Call before a lookup; hand the value to put(), which stores nothing if a change arrived in between. */
  begin(): number {
    return this.epoch;
  }

  put(secretHash: string, token: CachedToken, since: number): void {
    if (!this.live || since !== this.epoch) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(secretHash)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const { id, name, team, role, expiresAt } = token;
    this.entries.set(secretHash, { token: { id, name, team, role, expiresAt }, until: this.now() + this.ttlMs });
  }

  /** A token changed (revoked, expiry, role, team) or was deleted. */
  invalidate(tokenId: string): void {
    this.epoch++;
    for (const [hash, entry] of this.entries) if (entry.token.id === tokenId) this.entries.delete(hash);
  }

  setLive(live: boolean): void {
    this.live = live;
    this.epoch++;
    this.entries.clear();
  }
}

/** Postgres' notification client (pg's Client; pg has no type declarations in this workspace). */
interface ListenClient {
  connect(): Promise<void>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): void;
  on(event: 'error' | 'end', listener: (error?: Error) => void): void;
  removeAllListeners(): void;
}

/**
 * Keeps a TokenCache told of token changes: LISTENs on TOKEN_CHANGE_CHANNEL over its own
 * connection (not one of the pool's), with the data source's connection settings. A dropped
 * connection turns the cache off and is made again every `retryMs`.
 */
export class TokenChangeListener {
  private client: ListenClient | undefined;
  private schema: string | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: TokenCache,
    private readonly logger: Logger,
    private readonly retryMs = 1_000,
  ) {}

  /** Resolves once listening, or once the first attempt failed (the cache stays off and it retries). */
  async start(): Promise<void> {
    const rows = await this.dataSource.query<{ schema: string }[]>('SELECT current_schema() AS schema');
    this.schema = rows[0]?.schema;
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.cache.setLive(false);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    // TypeORM's Postgres driver holds the pg module it loaded; its options are the pool's.
    const { Client } = (this.dataSource.driver as unknown as { postgres: { Client: new (config: Record<string, unknown>) => ListenClient } }).postgres;
    const options = this.dataSource.options as { url?: string; host?: string; port?: number; username?: string; password?: unknown; database?: string; ssl?: unknown; extra?: Record<string, unknown> };
    const client = new Client({
      connectionString: options.url,
      host: options.host,
      port: options.port,
      user: options.username,
      password: options.password,
      database: options.database,
      ssl: options.ssl,
      ...options.extra,
      application_name: 'bulkhead-api-token-changes',
    });
    const lost = (error?: Error): void => {
      if (this.client !== client) return;
      this.client = undefined;
      this.cache.setLive(false);
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn({ err: error?.message ?? 'connection ended' }, 'token change notifications lost: API tokens are read from Postgres on every request until they are back');
      this.scheduleRetry();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.channel !== TOKEN_CHANGE_CHANNEL || !message.payload) return;
      const at = message.payload.lastIndexOf(':');
      if (message.payload.slice(0, at) === this.schema) this.cache.invalidate(message.payload.slice(at + 1));
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${TOKEN_CHANGE_CHANNEL}`);
      if (this.client !== client) return;
      this.cache.setLive(true);
    } catch (error) {
      lost(error as Error);
    }
  }

  private scheduleRetry(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), this.retryMs);
    this.retry.unref();
  }
}

/** The token store of the API's resolvers: a revocation also empties this replica's cache at once (others hear the trigger). */
export class CacheAwareTokenStore extends ApiTokenStore {
  constructor(
    dataSource: DataSource,
    private readonly cache: TokenCache,
  ) {
    super(dataSource);
  }

  override async revoke(id: string, team?: string): Promise<ApiTokenEntity | null> {
    const token = await super.revoke(id, team);
    if (token) this.cache.invalidate(token.id);
    return token;
  }
}
