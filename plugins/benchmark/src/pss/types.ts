import type { KObject } from '../k8s/objects';

export const PSS_LEVELS = ['baseline', 'restricted'] as const;
export type PssLevel = (typeof PSS_LEVELS)[number];

/** Result of one check on one pod, as upstream's CheckResult (reason and detail strings verbatim). */
export interface PssCheckResult {
  allowed: boolean;
  forbiddenReason?: string;
  forbiddenDetail?: string;
}

/** The pod's metadata and spec, as decoded from the manifest (a pod or a workload's template). */
export type PodMetadata = KObject;
export type PodSpec = KObject;

export type CheckPodFn = (metadata: PodMetadata, spec: PodSpec) => PssCheckResult;

export interface VersionedCheck {
  /** Minor version of v1.x from which this implementation applies. */
  minimumVersion: number;
  checkPod: CheckPodFn;
  /** Baseline check ids this restricted check replaces at restricted level. */
  overrideCheckIds?: readonly string[];
}

/** One Pod Security Standards check, as upstream's policy.Check. */
export interface PssCheck {
  id: string;
  level: PssLevel;
  /** Sorted by minimumVersion ascending. */
  versions: readonly VersionedCheck[];
}

export const ALLOWED: PssCheckResult = Object.freeze({ allowed: true });

export function forbidden(reason: string, detail: string): PssCheckResult {
  return { allowed: false, forbiddenReason: reason, forbiddenDetail: detail };
}
