import { ApiTokenStore, AuditLogStore, connectDatabase, parseExpiry, redactUrl, runMigrations, type ApiTokenEntity } from '@bulkhead/persistence';
import { loadWorkerConfig } from '@bulkhead/worker';
import type { DataSource } from 'typeorm';
import { CliError, ExitCode } from '../cli-io';

/**
 * `bulkhead token create|list|revoke`: API tokens managed against the database (DATABASE_URL /
 * DATABASE_SCHEMA, like `migrate`), for operators and scripts: no server, no token needed.
 * Each operation is written to the audit log of the token's team.
 */

export interface CreateTokenOptions {
  team: string;
  role: string;
  name?: string;
  expires?: string;
}

async function withDatabase<T>(work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const config = loadWorkerConfig();
  const dataSource = await connectDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  try {
    // The token tables come with the core migrations (applied here if `migrate` has not run yet).
    await runMigrations(dataSource);
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

const audit = (dataSource: DataSource, operation: string, team: string, details: Record<string, unknown>) =>
  new AuditLogStore(dataSource).append({ tokenId: null, tokenName: null, team, operation, details, outcome: 'ok', remoteAddress: null, userAgent: 'bulkhead-cli' });

/** Creates a token; returns its secret (for stdout) and a description (for stderr). */
export async function createToken(options: CreateTokenOptions): Promise<{ secret: string; description: string }> {
  const expiresAt = options.expires ? usage(() => parseExpiry(options.expires as string)) : null;
  return withDatabase(async (dataSource) => {
    const { token, secret } = await usageAsync(() =>
      new ApiTokenStore(dataSource).create({ name: options.name ?? `${options.team}-${options.role}`, team: options.team, role: options.role, expiresAt, createdBy: 'cli' }),
    );
    await audit(dataSource, 'token.create', token.team, { id: token.id, name: token.name, role: token.role, expiresAt: token.expiresAt?.toISOString() ?? null });
    return {
      secret,
      description: `created API token ${token.id} (${token.name}, team ${token.team}, role ${token.role}, ${token.expiresAt ? `expires ${token.expiresAt.toISOString()}` : 'never expires'}); the secret above is shown only now`,
    };
  });
}

/** The tokens (of one team when given) as a table. */
export async function listTokens(team?: string): Promise<string> {
  return withDatabase(async (dataSource) => {
    const tokens = await new ApiTokenStore(dataSource).list(team);
    const where = redactUrl(loadWorkerConfig().DATABASE_URL);
    if (tokens.length === 0) return `no API tokens${team ? ` in team ${team}` : ''} in ${where}`;
    const rows = [['ID', 'NAME', 'TEAM', 'ROLE', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'], ...tokens.map(row)];
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
    return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
  });
}

function row(token: ApiTokenEntity): string[] {
  const status = token.revokedAt ? 'revoked' : token.expiresAt && token.expiresAt.getTime() <= Date.now() ? 'expired' : 'active';
  const day = (date: Date | null) => (date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '-');
  return [token.id, token.name, token.team, token.role, status, day(token.createdAt), day(token.expiresAt), day(token.lastUsedAt)];
}

export async function revokeToken(id: string): Promise<string> {
  return withDatabase(async (dataSource) => {
    const token = await new ApiTokenStore(dataSource).revoke(id);
    if (!token) throw new CliError(`no API token ${JSON.stringify(id)} (see bulkhead token list)`, ExitCode.failed);
    await audit(dataSource, 'token.revoke', token.team, { id: token.id, name: token.name });
    return `revoked API token ${token.id} (${token.name}, team ${token.team}) at ${token.revokedAt?.toISOString()}`;
  });
}

/** Bad flags (team, role, expiry) are usage errors naming the problem. */
function usage<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw new CliError((error as Error).message, ExitCode.usage);
  }
}

async function usageAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as Error).name === 'BadInputError') throw new CliError((error as Error).message, ExitCode.usage);
    throw error;
  }
}
