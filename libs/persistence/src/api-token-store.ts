import { createHash, randomBytes } from 'node:crypto';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { ROLES, type Role } from '@bulkhead/plugin-sdk/api';
import { IsNull, type DataSource, type Repository } from 'typeorm';
import { ApiTokenEntity } from './entities/api-token.entity';
import { DEFAULT_TEAM } from './team';

/** Every secret starts with this, so that secret scanners (and people) recognise a leaked one. */
export const API_TOKEN_PREFIX = 'bhk_';
const SECRET_PATTERN = /^bhk_[A-Za-z0-9_-]{43}$/;
export const TEAM_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** last_used_at is written at most once per this interval per token, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * A new secret: 32 random bytes (256 bits) from the OS CSPRNG, base64url, behind the prefix.
 *
 * Stored as a plain SHA-256, not bcrypt/scrypt/argon2: slow, salted hashes exist to make
 * guessing a *low-entropy* human password expensive. A 256-bit random secret cannot be guessed
 * or found in a precomputed table whatever the hash speed, so a salt and work factor add nothing,
 * while a deterministic hash lets each request find its token by an indexed equality lookup
 * (no per-request key stretching, no scan comparing against every stored hash).
 */
export function generateTokenSecret(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export interface NewApiToken {
  name: string;
  team: string;
  role: Role | string;
  /** When the token stops working (null/undefined: never). */
  expiresAt?: Date | null;
  /** A token id, or `cli` / `serve`. */
  createdBy: string;
}

/** Why a presented secret was not accepted (the message a client sees). */
export type TokenRejection = 'malformed' | 'unknown' | 'revoked' | 'expired';

export type TokenCheck = { ok: true; token: ApiTokenEntity } | { ok: false; reason: TokenRejection };

/** API tokens: create (returning the secret once), verify, list, revoke. */
export class ApiTokenStore {
  private readonly repo: Repository<ApiTokenEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(ApiTokenEntity);
  }

  /** Creates a token; the returned secret is the only copy there will ever be. */
  async create(input: NewApiToken): Promise<{ token: ApiTokenEntity; secret: string }> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100 || name.includes('\0')) throw new BadInputError('token name must be 1 to 100 characters');
    if (!TEAM_PATTERN.test(input.team)) throw new BadInputError(`team ${JSON.stringify(input.team)} must match ${TEAM_PATTERN} (lower-case letters, digits, . _ -)`);
    if (!isRole(input.role)) throw new BadInputError(`role ${JSON.stringify(input.role)} must be one of ${ROLES.join(', ')}`);
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new BadInputError('expiry must be in the future');
    const secret = generateTokenSecret();
    const token = await this.repo.save(
      this.repo.create({ name, team: input.team, role: input.role, secretHash: hashTokenSecret(secret), expiresAt: input.expiresAt ?? null, createdBy: input.createdBy }),
    );
    return { token, secret };
  }

  /**
   * Looks a presented secret up by its hash and says whether it may be used now. A valid use
   * records last_used_at when the stored one is older than LAST_USED_RESOLUTION_MS (not awaited
   * by the caller's request: `touched` settles when the write is done).
   */
  async verify(secret: string, now = new Date()): Promise<TokenCheck & { touched?: Promise<void> }> {
    if (!SECRET_PATTERN.test(secret)) return { ok: false, reason: 'malformed' };
    const token = await this.repo.findOne({ where: { secretHash: hashTokenSecret(secret) } });
    if (!token) return { ok: false, reason: 'unknown' };
    if (token.revokedAt) return { ok: false, reason: 'revoked' };
    if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      const touched = this.dataSource
        .query(
          `UPDATE "api_token" SET "last_used_at" = $2 WHERE "id" = $1 AND ("last_used_at" IS NULL OR "last_used_at" < $2::timestamptz - ($3 || ' milliseconds')::interval)`,
          [token.id, now, String(LAST_USED_RESOLUTION_MS)],
        )
        .then(() => undefined);
      return { ok: true, token, touched };
    }
    return { ok: true, token };
  }

  /** Tokens, newest first; of one team when given. */
  list(team?: string): Promise<ApiTokenEntity[]> {
    return this.repo.find({ where: team === undefined ? {} : { team }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  get(id: string): Promise<ApiTokenEntity | null> {
    return UUID.test(id) ? this.repo.findOne({ where: { id } }) : Promise.resolve(null);
  }

  /** Revokes a token (of `team` when given); null when there is no such token. Revoking twice keeps the first time. */
  async revoke(id: string, team?: string): Promise<ApiTokenEntity | null> {
    if (!UUID.test(id)) return null;
    await this.repo.update({ id, revokedAt: IsNull(), ...(team === undefined ? {} : { team }) }, { revokedAt: new Date() });
    const token = await this.repo.findOne({ where: { id, ...(team === undefined ? {} : { team }) } });
    return token;
  }

  /**
   * On a database without any token (a fresh installation): creates an admin token of team
   * DEFAULT_TEAM and returns it with its secret; otherwise null. Serialised by an advisory lock,
   * so replicas starting together make one.
   */
  async createFirstAdmin(): Promise<{ token: ApiTokenEntity; secret: string } | null> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [FIRST_ADMIN_LOCK_ID]);
      if ((await manager.count(ApiTokenEntity, { take: 1 })) > 0) return null;
      const secret = generateTokenSecret();
      const token = await manager.save(
        manager.create(ApiTokenEntity, { name: 'first-admin', team: DEFAULT_TEAM, role: 'admin', secretHash: hashTokenSecret(secret), expiresAt: null, createdBy: 'serve' }),
      );
      return { token, secret };
    });
  }

  /** True when no token exists at all (a fresh installation). */
  async none(): Promise<boolean> {
    return (await this.repo.count({ take: 1 })) === 0;
  }
}

/** Any 32-bit number unique to this use: serialises first-admin creation across replicas. */
const FIRST_ADMIN_LOCK_ID = 0x42_48_41_31;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses `30d`, `12h`, `90m` (or a bare number of days) into a date that far from now. */
export function parseExpiry(text: string, now = new Date()): Date {
  const match = /^(\d{1,5})([dhm]?)$/.exec(text.trim());
  if (!match) throw new BadInputError(`expiry ${JSON.stringify(text)} must look like 30d, 12h or 90m`);
  const amount = Number(match[1]);
  const unitMs = { d: 86_400_000, h: 3_600_000, m: 60_000, '': 86_400_000 }[match[2] as 'd' | 'h' | 'm' | ''];
  if (amount < 1) throw new BadInputError('expiry must be at least 1');
  return new Date(now.getTime() + amount * unitMs);
}
