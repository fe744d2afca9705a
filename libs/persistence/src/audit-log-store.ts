import type { DataSource, QueryDeepPartialEntity, Repository } from 'typeorm';
import { AuditLogEntity, type AuditOutcome } from './entities/audit-log.entity';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection, type PageRequest } from './pagination';

export interface AuditEntry {
  tokenId: string | null;
  tokenName: string | null;
  team: string | null;
  operation: string;
  details: Record<string, unknown>;
  outcome: AuditOutcome;
  error?: string | null;
  remoteAddress?: string | null;
  userAgent?: string | null;
  /** When the operation happened (default: when the row is written). */
  at?: Date;
}

/** Keys whose values never reach the audit log (matched case-insensitively, at any depth). */
const SECRET_KEY = /secret|token|password|passwd|authorization|credential|api[-_]?key|private[-_]?key/i;
const MAX_STRING = 2_000;
const MAX_DEPTH = 6;

/** A copy of `value` fit for the audit log: secret-looking keys and `bhk_` strings redacted, long strings cut. */
export function redactForAudit(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    if (/bhk_[A-Za-z0-9_-]{10,}/.test(value)) return '[REDACTED]';
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value.replace(/\0/g, '');
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redactForAudit(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>).slice(0, 100)) {
    // Token *ids* are not secrets; everything else named like a secret is.
    out[key.replace(/\0/g, '')] = SECRET_KEY.test(key) && !/^(token)?id$/i.test(key) && key !== 'tokenId' ? '[REDACTED]' : redactForAudit(item, depth + 1);
  }
  return out;
}

/** The audit log: appended by the API and the token commands, read by admins. */
export class AuditLogStore {
  private readonly repo: Repository<AuditLogEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(AuditLogEntity);
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.appendMany([entry]);
  }

  /** Several entries in one multi-row INSERT (the API's audit writer gathers concurrent requests' entries). */
  async appendMany(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // One INSERT (save() would wrap it in a transaction: three round trips for every mutation).
    await this.repo.insert(entries.map((entry) => this.row(entry)) as QueryDeepPartialEntity<AuditLogEntity>[]);
  }

  private row(entry: AuditEntry): AuditLogEntity {
    return this.repo.create({
      tokenId: entry.tokenId,
      tokenName: entry.tokenName,
      team: entry.team,
      operation: entry.operation,
      details: redactForAudit(entry.details) as Record<string, unknown>,
      outcome: entry.outcome,
      error: entry.error ?? null,
      remoteAddress: entry.remoteAddress ?? null,
      userAgent: entry.userAgent?.slice(0, 500) ?? null,
      ...(entry.at ? { at: entry.at } : {}),
    });
  }

  /** Entries of one team, newest first. */
  async page(team: string, request: PageRequest = {}): Promise<Connection<AuditLogEntity>> {
    const size = pageSize(request.first);
    const query = this.repo.createQueryBuilder('a').where('a.team = :team', { team }).orderBy('a.at', 'DESC').addOrderBy('a.id', 'DESC').take(size + 1);
    if (request.after) {
      const [at, id] = decodeCursor(request.after, 2) as [string, string];
      query.andWhere('(a.at, a.id) < (:at::timestamptz, :id::uuid)', { at, id });
    }
    const rows = await query.getMany();
    return toConnection(rows, size, (row) => encodeCursor([row.at.toISOString(), row.id]));
  }

  count(team: string): Promise<number> {
    return this.repo.count({ where: { team } });
  }
}
