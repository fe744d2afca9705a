import { parseImageReference } from '@bulkhead/oci';
import { defineTask, type ChildTaskOutcome, type ServerInputs, type TaskContext } from '@bulkhead/plugin-sdk';
import { z } from 'zod';
import { evaluateGate, type GateEvaluation, type SignerCheck } from './evaluate';
import { promotionPolicySchema, type PromotionPolicy } from './policy';
import { notifyGateFailed } from './notify-failure';
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

/** The image the gate decided about: the reference given and the image id its scan saw. */
export interface GateImage {
  ref: string;
  /** The scanned image id (config digest): only an image with this id may be signed or count as signed. */
  imageId: string;
}

/** Signing and signature checks, given by the signer plugin (server keys on a worker, key files inline). */
export interface GateSigning {
  /** The required signers with a valid signature over the image; throws when it cannot look. */
  checkSigners?(image: GateImage, signers: readonly string[], ctx: TaskContext): Promise<SignerCheck>;
  /** Signs the passing image, or says why it did not (no key given, not in a registry). Absent: never signs. */
  sign?(image: GateImage, keyId: string | undefined, ctx: TaskContext): Promise<{ signatureId: string } | { notSigned: string }>;
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
    // Its children open `ref` on the worker and are confined when queued; the gate is confined
    // the same way up front, so a client is refused before anything is queued.
    serverInputs: (input): ServerInputs => {
      const source = parseImageReference(input.ref);
      if (source.kind === 'registry') return {};
      return { paths: [{ field: 'ref', path: source.kind === 'docker-archive' ? source.file : source.dir }] };
    },
    children: (input) => [
      // A full scan, whatever the policy: the scan's vulnerability report is the image's complete
      // report, and one without unfixed vulnerabilities would resolve them for everyone.
      // ignoreUnfixed is applied by the evaluation instead.
      { ...SCAN_CHILD, input: { source: input.ref } },
      { ...BENCHMARK_CHILD, input: { reference: input.ref } },
    ],
    async run(input, ctx): Promise<PromotionDecision> {
      const [scan, benchmark] = ctx.children ?? [];
      if (!scan) throw new Error('promote-image ran without its children');
      const scanned = scan.status === 'SUCCEEDED' ? (scan.output as { digest?: unknown } | null)?.digest : undefined;
      const digest = typeof scanned === 'string' ? scanned : null;
      const image = digest ? { ref: input.ref, imageId: digest } : undefined;
      const signers = input.policy.requiredSigners.length > 0 ? await checkSigners(signing, image, input, ctx) : { satisfied: [], missing: {} };
      const evaluation = evaluateGate(input.policy, scan, benchmark, signers);
      let signed = false;
      let signatureId: string | null = null;
      let notSignedReason: string | null = null;
      if (evaluation.decision === 'FAIL' || !image) notSignedReason = 'the policy failed';
      else if (!signing.sign) notSignedReason = 'no signing is configured here';
      else {
        ctx.progress(0.9, 'signing');
        const outcome = await signing.sign(image, input.keyId, ctx);
        if ('signatureId' in outcome) ({ signatureId } = outcome);
        else notSignedReason = outcome.notSigned;
        signed = signatureId !== null;
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
      // After the record: the notification points at a decision that can be read.
      if (decision.decision === 'FAIL') await notifyGateFailed(ctx, input.ref, digest, evaluation);
      ctx.progress(1, `${decision.decision}${signed ? ', signed' : ''}: ${decision.reasons.length} reason(s)`);
      return decision;
    },
  });
}

async function checkSigners(signing: GateSigning, image: GateImage | undefined, input: PromoteImageInput, ctx: TaskContext): Promise<SignerCheck | string> {
  if (!image) return 'the image scan did not succeed';
  if (!signing.checkSigners) return 'no signature verification is configured here';
  try {
    return await signing.checkSigners(image, input.policy.requiredSigners, ctx);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function childSummary(child: ChildTaskOutcome): PromotionDecision['children'][number] {
  return { kind: child.kind, type: child.type, taskId: child.taskId, status: child.status };
}
