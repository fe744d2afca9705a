import { NOTIFICATION_LIMITS, type PlatformNotification, type TaskContext } from '@bulkhead/plugin-sdk';
import type { GateEvaluation } from './evaluate';

/**
 * The notification a failed gate raises (category GATE_FAILED): the reference, the rules that
 * broke, one line per reason (bounded by the SDK's limits; the full list stays in the decision).
 */
export function gateFailedNotification(ref: string, digest: string | null, evaluation: GateEvaluation): PlatformNotification {
  const rules = [...new Set(evaluation.reasons.map((r) => r.rule))];
  const details = evaluation.reasons.slice(0, NOTIFICATION_LIMITS.details).map((r) => `${r.rule}: ${r.detail}`);
  const more = evaluation.reasons.length - details.length;
  const summary = `${evaluation.reasons.length} reason(s) under ${rules.join(', ') || 'the policy'}${more > 0 ? ` (${more} more in the decision)` : ''}${digest ? `; image ${digest}` : ''}`;
  return {
    category: 'GATE_FAILED',
    // A refused promotion blocks a release: a person should look soon, but nothing is compromised.
    severity: 'HIGH',
    title: `promotion gate failed for ${ref}`.slice(0, NOTIFICATION_LIMITS.title),
    summary: summary.slice(0, NOTIFICATION_LIMITS.summary),
    subject: ref.slice(0, NOTIFICATION_LIMITS.subject),
    details,
  };
}

/**
 * Raises the notification on the platform (inline there are no channels). The decision is
 * recorded whatever happens here: a notification that could not be announced is logged, not
 * turned into a failed gate task that would be retried and decide again.
 */
export async function notifyGateFailed(ctx: TaskContext, ref: string, digest: string | null, evaluation: GateEvaluation): Promise<void> {
  if (!ctx.platform) return;
  try {
    await ctx.platform.notify(gateFailedNotification(ref, digest, evaluation));
  } catch (error) {
    ctx.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'failed gate: notification not raised');
  }
}
