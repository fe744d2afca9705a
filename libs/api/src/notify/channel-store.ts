import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { NotificationChannelTarget } from './deliver';
import type { DeliveryAttempt, DeliveryLog } from './delivery-queue';
import type { ChannelKind } from './messages';
import { parseAlertPriority, type AlertPriority, type ChannelRules } from './rules';
import { NotifySecretError, type NotifySecretBox } from './secret-box';

export interface NotificationChannelRow extends ChannelRules {
  id: string;
  team: string;
  name: string;
  kind: ChannelKind;
  url: string;
  /** True when a signing secret is stored (the secret itself never leaves the store but to sign). */
  hasSecret: boolean;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ChannelInput {
  name: string;
  kind: ChannelKind;
  url: string;
  secret?: string | null;
  onCriticalFindings: boolean;
  onFailedGates: boolean;
  runtimeAlertMinPriority: string | null;
  enabled: boolean;
}

/** Bad channel input; the message names the field. */
export class ChannelInputError extends Error {
  override readonly name = 'ChannelInputError';
}

const MAX_URL = 2_048;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIN_SECRET = 16;
const MAX_SECRET = 512;

interface Row {
  /** `secret`: a legacy plaintext secret (stored before encryption); `secret_sealed`: AES-GCM (secret-box.ts). */
  id: string; team: string; name: string; kind: ChannelKind; url: string; secret: string | null; secret_sealed: Buffer | null;
  on_critical_findings: boolean; on_failed_gates: boolean; runtime_alert_min_priority: AlertPriority | null;
  enabled: boolean; created_at: Date; updated_at: Date;
}

const COLUMNS = `id, team, name, kind, url, secret, secret_sealed, on_critical_findings, on_failed_gates, runtime_alert_min_priority, enabled, created_at, updated_at`;

function toChannel(r: Row): NotificationChannelRow {
  return {
    id: r.id, team: r.team, name: r.name, kind: r.kind, url: r.url, hasSecret: hasSecret(r),
    onCriticalFindings: r.on_critical_findings, onFailedGates: r.on_failed_gates, runtimeAlertMinPriority: r.runtime_alert_min_priority,
    enabled: r.enabled, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

function hasSecret(r: Row): boolean {
  return r.secret !== null || r.secret_sealed !== null;
}

/**
 * Validates a channel (the URL's shape and destination are checked by the caller's policy too):
 * a WEBHOOK needs a signing secret of 16+ characters; a SLACK channel has none (its URL is the secret).
 */
export function validateChannelInput(input: ChannelInput, secretStored: boolean): { priority: AlertPriority | null } {
  const name = input.name.trim();
  if (!name || name.length > 100) throw new ChannelInputError('name: 1 to 100 characters');
  if (input.url.length > MAX_URL) throw new ChannelInputError(`url: longer than ${MAX_URL} characters`);
  if (input.kind !== 'WEBHOOK' && input.kind !== 'SLACK') throw new ChannelInputError(`kind: ${String(input.kind)} is not WEBHOOK or SLACK`);
  if (input.secret != null && (input.secret.length < MIN_SECRET || input.secret.length > MAX_SECRET)) {
    throw new ChannelInputError(`secret: ${MIN_SECRET} to ${MAX_SECRET} characters`);
  }
  if (input.kind === 'WEBHOOK' && input.secret == null && !secretStored) throw new ChannelInputError('secret: a WEBHOOK channel needs a signing secret');
  if (input.kind === 'SLACK' && input.secret != null) throw new ChannelInputError('secret: SLACK channels are not signed (the webhook URL is the credential)');
  let priority: AlertPriority | null = null;
  if (input.runtimeAlertMinPriority != null) {
    priority = parseAlertPriority(input.runtimeAlertMinPriority) ?? null;
    if (!priority) throw new ChannelInputError(`runtimeAlertMinPriority: ${JSON.stringify(input.runtimeAlertMinPriority)} is not a priority (Emergency … Debug)`);
  }
  return { priority };
}

/** Channels of a team and their delivery log (raw SQL over the ops-notify migration's tables). */
export class NotificationChannelStore implements DeliveryLog {
  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: NotifySecretBox,
  ) {}

  async create(team: string, input: ChannelInput): Promise<NotificationChannelRow> {
    const { priority } = validateChannelInput(input, false);
    const id = randomUUID();
    const sealed = this.sealInput(input, { team, id });
    const rows = await this.query<Row>(
      `INSERT INTO notification_channel (id, team, name, kind, url, secret_sealed, on_critical_findings, on_failed_gates, runtime_alert_min_priority, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (team, name) DO NOTHING RETURNING ${COLUMNS}`,
      [id, team, input.name.trim(), input.kind, input.url, sealed, input.onCriticalFindings, input.onFailedGates, priority, input.enabled],
    );
    if (!rows[0]) throw new ChannelInputError(`name: the team already has a channel named ${JSON.stringify(input.name.trim())}`);
    return toChannel(rows[0]);
  }

  /** Replaces a channel's settings; a null/absent secret keeps the stored one (write-only field). */
  async update(team: string, id: string, input: ChannelInput): Promise<NotificationChannelRow | null> {
    const current = await this.getRow(team, id);
    if (!current) return null;
    const { priority } = validateChannelInput(input, hasSecret(current) && current.kind === input.kind);
    // A new secret replaces both forms; none given keeps what is stored (sealed or legacy); SLACK has none.
    const sealed = this.sealInput(input, { team, id });
    const [secret, secretSealed] = input.kind === 'SLACK' ? [null, null] : sealed ? [null, sealed] : [current.secret, current.secret_sealed];
    const rows = await this.query<Row>(
      `UPDATE notification_channel SET name = $3, kind = $4, url = $5, secret = $6, secret_sealed = $7, on_critical_findings = $8, on_failed_gates = $9,
         runtime_alert_min_priority = $10, enabled = $11, updated_at = now() WHERE team = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [team, id, input.name.trim(), input.kind, input.url, secret, secretSealed, input.onCriticalFindings, input.onFailedGates, priority, input.enabled],
    ).catch((error: { code?: string }) => {
      if (error.code === '23505') throw new ChannelInputError(`name: the team already has a channel named ${JSON.stringify(input.name.trim())}`);
      throw error;
    });
    return rows[0] ? toChannel(rows[0]) : null;
  }

  async delete(team: string, id: string): Promise<NotificationChannelRow | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.query<Row>(`DELETE FROM notification_channel WHERE team = $1 AND id = $2 RETURNING ${COLUMNS}`, [team, id]);
    return rows[0] ? toChannel(rows[0]) : null;
  }

  async get(team: string, id: string): Promise<NotificationChannelRow | null> {
    const row = await this.getRow(team, id);
    return row ? toChannel(row) : null;
  }

  async list(team: string): Promise<NotificationChannelRow[]> {
    return (await this.query<Row>(`SELECT ${COLUMNS} FROM notification_channel WHERE team = $1 ORDER BY name LIMIT 500`, [team])).map(toChannel);
  }

  /** Enabled channels of a team (for the rules). */
  async enabledChannels(team: string): Promise<NotificationChannelRow[]> {
    return (await this.query<Row>(`SELECT ${COLUMNS} FROM notification_channel WHERE team = $1 AND enabled LIMIT 500`, [team])).map(toChannel);
  }

  /**
   * What the delivery worker sends to (any team: found by id from the job), with the secret
   * opened; a NotifySecretError when it cannot be (key missing or wrong, row altered).
   */
  async target(id: string): Promise<NotificationChannelTarget | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.query<Row>(`SELECT ${COLUMNS} FROM notification_channel WHERE id = $1`, [id]);
    const r = rows[0];
    if (!r) return null;
    const secret = r.secret_sealed ? this.secrets.open(r.secret_sealed, r) : r.secret;
    return { kind: r.kind, url: r.url, ...(secret ? { secret } : {}) };
  }

  /**
   * Seals the plaintext secrets stored before encryption existed (needs the key), in batches;
   * each row's UPDATE is guarded by its old plaintext, so API replicas starting together seal
   * each row once. Returns how many this call sealed.
   */
  async sealLegacySecrets(batch = 500): Promise<number> {
    if (!this.secrets.configured) return 0;
    let sealed = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await this.query<Pick<Row, 'id' | 'team' | 'secret'>>(
        `SELECT id, team, secret FROM notification_channel WHERE secret IS NOT NULL AND id > $1 ORDER BY id LIMIT $2`,
        [after, batch],
      );
      for (const r of rows) {
        const done = await this.query<{ id: string }>(
          `UPDATE notification_channel SET secret_sealed = $3, secret = NULL WHERE id = $1 AND secret = $2 RETURNING id`,
          [r.id, r.secret, this.secrets.seal(r.secret as string, r)],
        );
        sealed += done.length;
      }
      if (rows.length < batch) return sealed;
      after = (rows[rows.length - 1] as { id: string }).id;
    }
  }

  /** How many channels still hold a plaintext secret (reported at start-up when no key is set). */
  async legacySecretCount(): Promise<number> {
    const [row] = await this.query<{ n: string }>(`SELECT count(*) AS n FROM notification_channel WHERE secret IS NOT NULL`, []);
    return Number(row?.n ?? 0);
  }

  async record(a: DeliveryAttempt): Promise<void> {
    if (!UUID.test(a.channelId)) return;
    // The team is the channel's; a channel deleted meanwhile still gets its last attempt logged under the team it had (from earlier rows).
    await this.query(
      `INSERT INTO notification_delivery (team, delivery_id, channel_id, event_type, attempt, status, status_code, error, duration_ms, at)
       SELECT team, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM (
         SELECT team FROM notification_channel WHERE id = $2
         UNION ALL SELECT team FROM notification_delivery WHERE channel_id = $2 LIMIT 1) t LIMIT 1`,
      [a.deliveryId, a.channelId, a.eventType, a.attempt, a.status, a.statusCode ?? null, a.error?.slice(0, 1_000) ?? null, a.durationMs, a.at],
    );
  }

  async deliveries(team: string, options: { channelId?: string | null; first: number }): Promise<DeliveryAttempt[]> {
    if (options.channelId != null && !UUID.test(options.channelId)) return [];
    const rows = await this.query<{ delivery_id: string; channel_id: string; event_type: DeliveryAttempt['eventType']; attempt: number; status: DeliveryAttempt['status']; status_code: number | null; error: string | null; duration_ms: number; at: Date }>(
      `SELECT delivery_id, channel_id, event_type, attempt, status, status_code, error, duration_ms, at FROM notification_delivery
       WHERE team = $1 AND ($2::uuid IS NULL OR channel_id = $2::uuid) ORDER BY at DESC, id DESC LIMIT $3`,
      [team, options.channelId ?? null, options.first],
    );
    return rows.map((r) => ({
      deliveryId: r.delivery_id, channelId: r.channel_id, eventType: r.event_type, attempt: r.attempt, status: r.status,
      ...(r.status_code !== null ? { statusCode: r.status_code } : {}), ...(r.error !== null ? { error: r.error } : {}), durationMs: r.duration_ms, at: r.at,
    }));
  }

  /** The sealed form of the input's secret (null when none is given); refused without the key. */
  private sealInput(input: ChannelInput, channel: { team: string; id: string }): Buffer | null {
    if (input.kind !== 'WEBHOOK' || input.secret == null) return null;
    try {
      return this.secrets.seal(input.secret, channel);
    } catch (error) {
      if (error instanceof NotifySecretError) throw new ChannelInputError(`secret: ${error.message}`);
      throw error;
    }
  }

  private async getRow(team: string, id: string): Promise<Row | undefined> {
    if (!UUID.test(id)) return undefined;
    return (await this.query<Row>(`SELECT ${COLUMNS} FROM notification_channel WHERE team = $1 AND id = $2`, [team, id]))[0];
  }

  private async query<T>(sql: string, params: unknown[]): Promise<T[]> {
    const result = await this.dataSource.query<unknown>(sql, params);
    // TypeORM's postgres driver answers UPDATE/DELETE … RETURNING with [rows, affectedCount].
    if (/^\s*(UPDATE|DELETE)\b/i.test(sql) && Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
    return result as T[];
  }
}
