import type { PluginDatabase, PluginMigration } from '@bulkhead/plugin-sdk/api';
import type { GateReason, GateVerdict } from './evaluate';
import type { PromotionPolicy } from './policy';

/**
 * The gate's decision records: one row per promote-image task (its id is the row's), in the
 * task's team. The signer plugin's API entry lists these steps with its own (ids `gate-…`, so
 * they never collide with the signer's).
 */
export const gateMigrations: readonly PluginMigration[] = [
  {
    id: 'gate-0001-promotion',
    up: async (db) => {
      await db.query(
        `CREATE TABLE promotion (
           team text NOT NULL,
           id uuid NOT NULL,
           ref text NOT NULL,
           digest text,
           policy jsonb NOT NULL,
           decision text NOT NULL CHECK (decision IN ('PASS', 'FAIL')),
           reasons jsonb NOT NULL DEFAULT '[]',
           summary jsonb NOT NULL DEFAULT '{}',
           signature_id text,
           signed boolean NOT NULL DEFAULT false,
           not_signed_reason text,
           created_at timestamptz(3) NOT NULL DEFAULT now(),
           decided_at timestamptz(3) NOT NULL DEFAULT now(),
           PRIMARY KEY (team, id))`,
      );
      await db.query(`CREATE INDEX promotion_team_decided ON promotion (team, decided_at DESC, id DESC)`);
    },
  },
];

/** One decision as stored and served. */
export interface PromotionRecord {
  /** The promote-image task's id. */
  id: string;
  ref: string;
  /** The image id (config digest) the scan saw; null when the scan failed. */
  digest: string | null;
  policy: PromotionPolicy;
  decision: GateVerdict;
  reasons: GateReason[];
  summary: Record<string, number>;
  signed: boolean;
  signatureId: string | null;
  /** Why a passing image was not signed (no key given, signing refused). */
  notSignedReason: string | null;
  decidedAt: Date;
}

/** Writes a decision (a retried task writes the same row again: last decision wins). */
export async function recordPromotion(db: Pick<PluginDatabase, 'query'>, team: string, record: Omit<PromotionRecord, 'decidedAt'>): Promise<void> {
  await db.query(
    `INSERT INTO promotion (team, id, ref, digest, policy, decision, reasons, summary, signed, signature_id, not_signed_reason)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8::jsonb, $9, $10, $11)
     ON CONFLICT (team, id) DO UPDATE SET digest = EXCLUDED.digest, decision = EXCLUDED.decision, reasons = EXCLUDED.reasons,
       summary = EXCLUDED.summary, signed = EXCLUDED.signed, signature_id = EXCLUDED.signature_id,
       not_signed_reason = EXCLUDED.not_signed_reason, decided_at = now()`,
    [
      team,
      record.id,
      record.ref,
      record.digest,
      JSON.stringify(record.policy),
      record.decision,
      JSON.stringify(record.reasons),
      JSON.stringify(record.summary),
      record.signed,
      record.signatureId,
      record.notSignedReason,
    ],
  );
}

interface PromotionRow {
  id: string;
  ref: string;
  digest: string | null;
  policy: PromotionPolicy;
  decision: GateVerdict;
  reasons: GateReason[];
  summary: Record<string, number>;
  signed: boolean;
  signature_id: string | null;
  not_signed_reason: string | null;
  decided_at: Date;
}

const COLUMNS = 'id, ref, digest, policy, decision, reasons, summary, signed, signature_id, not_signed_reason, decided_at';

function toRecord(row: PromotionRow): PromotionRecord {
  return {
    id: row.id,
    ref: row.ref,
    digest: row.digest,
    policy: row.policy,
    decision: row.decision,
    reasons: row.reasons,
    summary: row.summary,
    signed: row.signed,
    signatureId: row.signature_id,
    notSignedReason: row.not_signed_reason,
    decidedAt: new Date(row.decided_at),
  };
}

export async function getPromotion(db: Pick<PluginDatabase, 'query'>, team: string, id: string): Promise<PromotionRecord | undefined> {
  const rows = await db.query<PromotionRow>(`SELECT ${COLUMNS} FROM promotion WHERE team = $1 AND id = $2`, [team, id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** The team's decisions, newest first; `decision` filters; at most `first` (1 to 500). */
export async function listPromotions(db: Pick<PluginDatabase, 'query'>, team: string, options: { first: number; decision?: GateVerdict; ref?: string }): Promise<PromotionRecord[]> {
  const rows = await db.query<PromotionRow>(
    `SELECT ${COLUMNS} FROM promotion WHERE team = $1 AND ($2::text IS NULL OR decision = $2) AND ($3::text IS NULL OR ref = $3)
      ORDER BY decided_at DESC, id DESC LIMIT $4`,
    [team, options.decision ?? null, options.ref ?? null, Math.min(500, Math.max(1, options.first))],
  );
  return rows.map(toRecord);
}
