import { defineTask, type ChildTaskOutcome, type TaskContext } from '@bulkhead/plugin-sdk';
import { z } from 'zod';
import { evaluateGate, type GateEvaluation, type SignerCheck } from './evaluate';
import { promotionPolicySchema, type PromotionPolicy } from './policy';
import { recordPromotion } from './promotion-store';

export const PROMOTE_IMAGE_TASK = 'promote-image';

/*
 * The children the gate runs are other plugins' tasks, named by their persisted (kind, type):
 * the scanner's image scan and the benchmark's image checks. The gate imports neither plugin.
 */
export const SCAN_CHILD = { kind: 'scanner', type: 'scan-image' } as const;
export const BENCHMARK_CHILD = { kind: 'benchmark', type: 'image-config' } as const;

export const promoteImageInput = z.object({
  ref: z.string().min(1).max(4096).describe('The image to promote: oci:<dir>[:<ref>], docker-archive:<file>, or a registry reference where the scanner reads one'),
  policy: promotionPolicySchema.describe('maxSeverity, allowSecrets, ignoreUnfixed, benchmark {maxFailures, allowedRules}, requiredSigners'),
  keyId: z.string().min(1).max(200).optional().describe('The server key that signs a passing image (default: none: the decision is recorded unsigned)'),
});
export type PromoteImageInput = z.output<typeof promoteImageInput>;

/** Signing and signature checks, given by the signer plugin (server keys on a worker, a key file inline). */
export interface GateSigning {
  /** The required signers with a valid signature over the image; throws when it cannot look. */
  checkSigners?(ref: string, signers: readonly string[], ctx: TaskContext): Promise<SignerCheck>;
  /** Signs the image; returns the signature's id. Absent: a passing image is not signed, and the record says why. */
  sign?(ref: string, keyId: string | undefined, ctx: TaskContext): Promise<{ signatureId: string }>;
}

export interface PromotionDecision extends GateEvaluation {
  id: string;
  ref: string;
  digest: string | null;
  policy: PromotionPolicy;
  signed: boolean;
  signatureId: string | null;
  notSignedReason: string | null;
  children: { kind: string; type: string; taskId: string; status: string }[];
}

/**
 * `promote-image` (kind signer): a flow. Its children scan the image and benchmark it; when both
 * have finished, the policy is evaluated over their outcomes, the image is signed only when it
 * passes, and the decision is recorded (on a worker, in the plugin's `promotion` table) with
 * every reason: the rule and the finding.
 */
export function createPromoteImageTask(signing: GateSigning) {
  return defineTask({
    type: PROMOTE_IMAGE_TASK,
    description: 'Scans and benchmarks an image, evaluates a promotion policy over the results and signs the image only when it passes',
    input: promoteImageInput,
    children: (input) => [
      { ...SCAN_CHILD, input: { source: input.ref, ignoreUnfixed: input.policy.ignoreUnfixed } },
      { ...BENCHMARK_CHILD, input: { reference: input.ref } },
    ],
    async run(input, ctx): Promise<PromotionDecision> {
      const [scan, benchmark] = ctx.children ?? [];
      if (!scan) throw new Error('promote-image ran without its children');
      const signers = input.policy.requiredSigners.length > 0 ? await checkSigners(signing, input, ctx) : { satisfied: [], missing: {} };
      const evaluation = evaluateGate(input.policy, scan, benchmark, signers);
      const digest = scan.status === 'SUCCEEDED' ? ((scan.output as { digest?: unknown } | null)?.digest as string | undefined) ?? null : null;
      let signed = false;
      let signatureId: string | null = null;
      let notSignedReason: string | null = null;
      if (evaluation.decision === 'FAIL') notSignedReason = 'the policy failed';
      else if (!signing.sign) notSignedReason = 'no signing is configured here';
      else {
        ({ signatureId } = await signing.sign(input.ref, input.keyId, ctx));
        signed = true;
      }
      const decision: PromotionDecision = {
        id: ctx.taskId,
        ref: input.ref,
        digest,
        policy: input.policy,
        ...evaluation,
        signed,
        signatureId,
        notSignedReason,
        children: (ctx.children ?? []).map(childSummary),
      };
      if (ctx.platform) await recordPromotion(ctx.platform.database, ctx.platform.team, decision);
      ctx.progress(1, `${decision.decision}${signed ? ', signed' : ''}: ${decision.reasons.length} reason(s)`);
      return decision;
    },
  });
}

async function checkSigners(signing: GateSigning, input: PromoteImageInput, ctx: TaskContext): Promise<SignerCheck | string> {
  if (!signing.checkSigners) return 'no signature verification is configured here';
  try {
    return await signing.checkSigners(input.ref, input.policy.requiredSigners, ctx);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function childSummary(child: ChildTaskOutcome): PromotionDecision['children'][number] {
  return { kind: child.kind, type: child.type, taskId: child.taskId, status: child.status };
}
