import { BadInputError } from '@bulkhead/plugin-sdk';
import type { DataSource } from 'typeorm';
import { AuditLogStore } from './audit-log-store';
import { FindingEntity, FindingStatus } from './entities';
import { tableName } from './table-name';
import { PeriodicRun } from './periodic-run';

/*
 * Suppression with a reason and an expiry (issue 16)
 * --------------------------------------------------
 * A person marks a finding SUPPRESSED: it needs no action. With it they may record
 * - a reason (free text, at most MAX_SUPPRESSION_REASON characters; the console always sends one),
 * - an OpenVEX `not_affected` justification (VEX_JUSTIFICATIONS). OpenVEX has no
 *   "false positive" status: a scanner's false positive is `not_affected` with
 *   `component_not_present` or `vulnerable_code_not_present` (what CycloneDX calls `false_positive`),
 * - an expiry, in the future and at most MAX_SUPPRESSION_DAYS ahead: a suppression is a decision
 *   to review, not to forget. Without one it holds until someone reopens the finding.
 * Who suppressed it (the API token's name) and when are recorded with it. Reruns keep the finding
 * SUPPRESSED with its suppression (finding-lifecycle.ts). When the expiry passes the sweeper
 * below makes it OPEN again and clears the suppression, in one UPDATE: the counters' triggers
 * (migration FindingCounts1765900000001) move it from SUPPRESSED to OPEN in the same statement,
 * so counts stay exact. Reopening by hand clears it too.
 */

/** OpenVEX v0.2.0 justifications of the `not_affected` status (stored as these strings). */
export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;
export type VexJustification = (typeof VEX_JUSTIFICATIONS)[number];

export const MAX_SUPPRESSION_REASON = 1000;
export const MAX_SUPPRESSION_DAYS = 365;
const DAY_MS = 86_400_000;

/** What a person gives when suppressing; every field optional (the API's older call shape gives none). */
export interface SuppressionInput {
  reason?: string | null;
  justification?: string | null;
  expiresAt?: Date | null;
  /** Name of the API token suppressing it. */
  suppressedBy?: string | null;
}

/** A suppression as stored, normalised. */
export interface Suppression {
  reason: string | null;
  justification: VexJustification | null;
  expiresAt: Date | null;
  suppressedBy: string | null;
  /** Null for suppressions made before this was recorded (migration FindingSuppression1766000000000). */
  suppressedAt: Date | null;
}

/** A suppression input the API refuses; `field` names the argument. */
export class SuppressionInputError extends BadInputError {
  constructor(
    readonly field: 'reason' | 'justification' | 'expiresAt',
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The input checked and normalised (reason trimmed, empty: null); a SuppressionInputError names what is wrong. */
export function checkSuppression(input: SuppressionInput, now: Date = new Date()): Omit<Suppression, 'suppressedAt'> {
  let reason = input.reason?.trim() ?? null;
  if (reason === '') reason = null;
  if (reason !== null) {
    if (reason.length > MAX_SUPPRESSION_REASON) throw new SuppressionInputError('reason', `${reason.length} characters, at most ${MAX_SUPPRESSION_REASON}`);
    if (reason.includes('\0')) throw new SuppressionInputError('reason', 'contains a NUL character');
  }
  const justification = input.justification ?? null;
  if (justification !== null && !(VEX_JUSTIFICATIONS as readonly string[]).includes(justification)) {
    throw new SuppressionInputError('justification', `${JSON.stringify(justification.slice(0, 80))} is not an OpenVEX justification (${VEX_JUSTIFICATIONS.join(', ')})`);
  }
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt !== null) {
    if (Number.isNaN(expiresAt.getTime())) throw new SuppressionInputError('expiresAt', 'not a date');
    if (expiresAt.getTime() <= now.getTime()) throw new SuppressionInputError('expiresAt', `${expiresAt.toISOString()} is not in the future`);
    if (expiresAt.getTime() > now.getTime() + MAX_SUPPRESSION_DAYS * DAY_MS) {
      throw new SuppressionInputError('expiresAt', `${expiresAt.toISOString()} is more than ${MAX_SUPPRESSION_DAYS} days ahead (suppressions are reviewed at least yearly)`);
    }
  }
  return { reason, justification: justification as VexJustification | null, expiresAt, suppressedBy: input.suppressedBy?.slice(0, 200) ?? null };
}

/** The suppression a stored finding carries, or null when it is not SUPPRESSED. */
export function suppressionOf(
  entity: Pick<FindingEntity, 'status' | 'suppressionReason' | 'suppressionJustification' | 'suppressedUntil' | 'suppressedBy' | 'suppressedAt'>,
): Suppression | null {
  if (entity.status !== FindingStatus.SUPPRESSED) return null;
  return {
    reason: entity.suppressionReason,
    justification: entity.suppressionJustification as VexJustification | null,
    expiresAt: entity.suppressedUntil,
    suppressedBy: entity.suppressedBy,
    suppressedAt: entity.suppressedAt,
  };
}

/** The SET list that lifts a suppression (reopen by hand, expiry). */
export const CLEAR_SUPPRESSION_SQL = `suppression_reason = NULL, suppression_justification = NULL, suppressed_until = NULL, suppressed_by = NULL, suppressed_at = NULL`;

/** The most findings one sweep reopens (the next tick takes the rest). */
const SWEEP_BATCH = 5000;

export interface ExpiredSuppression {
  id: string;
  team: string;
  ruleId: string;
  target: string;
}

/**
 * Reopens the SUPPRESSED findings whose expiry has passed, of every team, and clears their
 * suppression: one UPDATE (the counters follow in its transaction). Rows another sweeper
 * holds are skipped, not waited for. Returns what it reopened.
 */
export async function sweepExpiredSuppressions(dataSource: DataSource): Promise<ExpiredSuppression[]> {
  const findings = tableName(dataSource, FindingEntity);
  const [rows] = (await dataSource.query(
    `UPDATE ${findings} AS f SET status = CASE WHEN f.status = '${FindingStatus.SUPPRESSED}' THEN '${FindingStatus.OPEN}' ELSE f.status END, ${CLEAR_SUPPRESSION_SQL}
      WHERE f.id IN (SELECT id FROM ${findings} WHERE suppressed_until IS NOT NULL AND suppressed_until <= now() ORDER BY suppressed_until LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED)
      RETURNING f.id, f.team, f.rule_id AS "ruleId", f.target`,
  )) as [ExpiredSuppression[], number];
  return rows;
}

/**
 * Runs the sweep every `intervalMs` (each API replica runs one; SKIP LOCKED keeps two from
 * reopening one finding twice) and writes one audit log entry per team and sweep.
 */
export class SuppressionExpirySweeper {
  private readonly audit: AuditLogStore;
  private readonly periodic: PeriodicRun;

  constructor(
    private readonly dataSource: DataSource,
    onError: (error: unknown) => void,
  ) {
    this.audit = new AuditLogStore(dataSource);
    this.periodic = new PeriodicRun(() => this.sweep(), onError);
  }

  /** One sweep and its audit entries; what it reopened. */
  async sweep(): Promise<ExpiredSuppression[]> {
    const expired = await sweepExpiredSuppressions(this.dataSource);
    const byTeam = new Map<string, ExpiredSuppression[]>();
    for (const row of expired) byTeam.set(row.team, [...(byTeam.get(row.team) ?? []), row]);
    for (const [team, rows] of byTeam) {
      await this.audit.append({
        tokenId: null,
        tokenName: null,
        team,
        operation: 'suppression expired',
        details: { count: rows.length, findings: rows.map(({ id, ruleId, target }) => ({ id, ruleId, target })) },
        outcome: 'ok',
      });
    }
    return expired;
  }

  /** Sweeps now and every `intervalMs` (see PeriodicRun). */
  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
