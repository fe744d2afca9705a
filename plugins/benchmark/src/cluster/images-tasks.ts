import { z } from 'zod';
import { BadInputError, defineTask, type ChildTaskOutcome, type TaskPlatform } from '@bulkhead/plugin-sdk';
import { parseRegistryReference } from '@bulkhead/oci';
import { ClusterImageStore, type ImageTaskStatus, type RunningImage } from './images-store';
import { PULL_SECRETS_SETTING, pullAccessInput, recordPullAccess } from './images-pull-secrets';

/*
 * Images of running workloads (issue 17, part 4). Each manifest digest a cluster runs is scanned
 * once per team, through the other plugins' own tasks, named by kind and type (never imported):
 *
 * - `scan-workload-image` (kind benchmark): a flow whose children are the scanner's `scan-image`
 *   over `registry:<repository>@<digest>` (the registry client pulls it under the worker's
 *   registry host policy) and the signer's `verify-image` over the same reference (the team's
 *   server keys: the trust policy the signer applies). Its run records the image id the scan
 *   stored the image under, which links the digest to its vulnerability findings.
 * - `scan-cluster-images` (kind benchmark): plans the scans of one cluster's running digests that
 *   no scan has claimed yet, a bounded batch per task (it queues its successor for the rest).
 *
 * Advisory updates need no new pull: the scanner re-matches the stored packages of every image
 * (its `rematch-vulnerabilities`), which includes these, and the findings move under the same
 * image id the workloads are linked to.
 */

export const SCAN_WORKLOAD_IMAGE = 'scan-workload-image';
export const SCAN_CLUSTER_IMAGES = 'scan-cluster-images';

/** Flows one planner queues before handing the rest to its successor (below BULKHEAD_MAX_CHILD_TASKS). */
export const IMAGE_SCANS_PER_PLANNER = 500;

const SCAN_CHILD = { kind: 'scanner', type: 'scan-image' } as const;
const VERIFY_CHILD = { kind: 'signer', type: 'verify-image' } as const;

/** `host/repository@sha256:…` with a registry host: what a node pulled, pinned by digest. */
function pinnedReference(ref: string, field: string): { repository: string; digest: string } {
  let parsed;
  try {
    parsed = parseRegistryReference(ref);
  } catch (error) {
    throw new BadInputError(`${field}: ${(error as Error).message}`);
  }
  if (!parsed.digest) throw new BadInputError(`${field}: ${JSON.stringify(ref)} is not pinned by digest (repository@sha256:…)`);
  return { repository: `${parsed.registry}/${parsed.repository}`, digest: parsed.digest };
}

export const scanWorkloadImageInput = z.object({
  ref: z.string().min(1).max(1024).describe('The running image as host/repository@sha256:<digest> (the digest a node reported in containerStatuses[].imageID)'),
});

export interface ScanWorkloadImageResult {
  manifestDigest: string;
  /** The image id (config digest) the scan stored the image and its findings under; null when the scan failed. */
  imageId: string | null;
  scan: ImageTaskStatus;
  verify: ImageTaskStatus;
  /** True when a valid signature was found; null when the check did not run to the end. */
  verified: boolean | null;
}

function childError(child: ChildTaskOutcome | undefined): string | null {
  if (!child) return 'not run';
  return child.status === 'SUCCEEDED' ? null : (child.error ?? child.status.toLowerCase());
}

export const scanWorkloadImageTask = defineTask({
  type: SCAN_WORKLOAD_IMAGE,
  description: 'Scans a running image once (scanner scan-image from its registry) and verifies its signatures (signer verify-image), then links the digest to the stored image',
  input: scanWorkloadImageInput,
  // The children reach a registry under the worker's host policy; no server file is read.
  serverInputs: (input) => {
    pinnedReference(input.ref, 'ref');
    return {};
  },
  children: (input) => {
    const { repository, digest } = pinnedReference(input.ref, 'ref');
    const ref = `${repository}@${digest}`;
    return [
      { ...SCAN_CHILD, input: { source: `registry:${ref}` } },
      { ...VERIFY_CHILD, input: { ref } },
    ];
  },
  async run(input, ctx): Promise<ScanWorkloadImageResult> {
    const { repository, digest } = pinnedReference(input.ref, 'ref');
    const [scan, verify] = ctx.children ?? [];
    const scanned = scan?.status === 'SUCCEEDED' ? (scan.output as { digest?: unknown } | null)?.digest : undefined;
    const imageId = typeof scanned === 'string' ? scanned : null;
    const verified = verify?.status === 'SUCCEEDED' ? (verify.output as { verified?: unknown } | null)?.verified === true : null;
    const result: ScanWorkloadImageResult = {
      manifestDigest: digest,
      imageId,
      scan: scan?.status ?? 'FAILED',
      verify: verify?.status ?? 'FAILED',
      verified,
    };
    if (ctx.platform) {
      await new ClusterImageStore(ctx.platform.database, ctx.platform.team).recordOutcome(digest, `${repository}@${digest}`, {
        imageId,
        scanStatus: result.scan,
        scanError: childError(scan),
        verifyStatus: result.verify,
        verifyError: childError(verify),
      });
    }
    if (scan?.status !== 'SUCCEEDED') ctx.logger.warn({ manifestDigest: digest, error: childError(scan) }, 'running image not scanned');
    return result;
  },
});

export const scanClusterImagesInput = z.object({
  cluster: z.string().min(1).max(63).describe('The cluster whose running images to scan (its name in the inventory)'),
  after: z.string().max(200).optional().describe('Set by the planner for its successor: continue after this manifest digest'),
  pullSecrets: pullAccessInput
    .optional()
    .describe(`How a worker reaches the cluster to read a workload's imagePullSecrets when it pulls (needs ${PULL_SECRETS_SETTING}=true); kept for later pulls until given again`),
});

export interface ScanClusterImagesResult {
  /** Running digests looked at in this batch. */
  seen: number;
  /** Scans queued (digests no earlier scan had claimed). */
  queued: number;
  /** The successor planner for the digests after this batch, if any. */
  next: string | null;
}

/** The running images of a cluster, by digest (one reference per digest), after `after`. */
async function runningImages(platform: TaskPlatform, cluster: string, after: string, limit: number): Promise<RunningImage[]> {
  const rows = await platform.database.query<{ digest: string; repository: string }>(
    `SELECT DISTINCT ON (digest) digest, repository FROM cluster_workload_image
      WHERE team = $1 AND cluster = $2 AND digest IS NOT NULL AND repository IS NOT NULL AND digest > $3
      ORDER BY digest, repository LIMIT $4`,
    [platform.team, cluster, after, limit],
  );
  return rows.map((row) => ({ manifestDigest: row.digest, ref: `${row.repository}@${row.digest}` }));
}

export const scanClusterImagesTask = defineTask({
  type: SCAN_CLUSTER_IMAGES,
  description: "Queues one scan-workload-image per running image digest of a cluster that no scan has claimed yet (each digest is scanned once per team)",
  input: scanClusterImagesInput,
  // Reading Secrets is the operator's opt-in; the kubeconfig is a server file, confined.
  serverInputs: (input) =>
    input.pullSecrets
      ? { ...(input.pullSecrets.kubeconfig ? { paths: [{ field: 'pullSecrets.kubeconfig', path: input.pullSecrets.kubeconfig }] } : {}), requiresSetting: PULL_SECRETS_SETTING }
      : {},
  async run(input, ctx): Promise<ScanClusterImagesResult> {
    const platform = ctx.platform;
    if (!platform) throw new BadInputError('scan-cluster-images reads the stored cluster inventory: it runs on a server (bulkhead cluster scan scans inline)');
    if (input.pullSecrets) await recordPullAccess(platform.database, platform.team, input.cluster, input.pullSecrets);
    const images = await runningImages(platform, input.cluster, input.after ?? '', IMAGE_SCANS_PER_PLANNER);
    const store = new ClusterImageStore(platform.database, platform.team);
    const claimed = await store.claim(images);
    for (const [index, image] of claimed.entries()) {
      ctx.signal.throwIfAborted();
      try {
        const task = await platform.submitTask({ kind: 'benchmark', type: SCAN_WORKLOAD_IMAGE, input: { ref: image.ref }, labels: { 'bulkhead.io/cluster': input.cluster } });
        await store.setFlowTask(image.manifestDigest, task.id);
      } catch (error) {
        // Give the unqueued claims back, so the next planner picks them up.
        for (const rest of claimed.slice(index)) await store.release(rest.manifestDigest);
        throw error;
      }
      ctx.progress((index + 1) / claimed.length, `${index + 1} of ${claimed.length} scans queued`);
    }
    let next: string | null = null;
    const last = images.at(-1);
    if (images.length === IMAGE_SCANS_PER_PLANNER && last) {
      next = (await platform.submitTask({ kind: 'benchmark', type: SCAN_CLUSTER_IMAGES, input: { cluster: input.cluster, after: last.manifestDigest } })).id;
    }
    return { seen: images.length, queued: claimed.length, next };
  },
});
