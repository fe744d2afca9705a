import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PSS_LEVELS, type PssLevel } from '../pss';

/*
 * The admission policy: a JSON file (BULKHEAD_ADMISSION_POLICY_FILE) read once at start-up.
 * Every rule is checked here, so a policy the webhook cannot honour stops the API at start-up
 * instead of being silently ignored on the request path.
 */

export const SEVERITIES = ['UNKNOWN', 'INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Kubernetes registry host names: DNS labels with an optional port. */
const REGISTRY = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$/;

const policySchema = z
  .object({
    /** Registry hosts images may come from (`docker.io` for short names); absent: any registry. */
    allowedRegistries: z.array(z.string().toLowerCase().regex(REGISTRY, 'is not a registry host name ([host][:port])')).min(1).max(1000).optional(),
    /** Deny an image holding an OPEN finding of a severity above this one. */
    maxSeverity: z.enum(SEVERITIES).optional(),
    /** With maxSeverity: what to do with an image the platform has no record of (never scanned, or referenced by tag only). */
    unknownImages: z.enum(['allow', 'deny']).default('deny'),
    /** The Pod Security Standards level pods must meet. */
    podSecurityLevel: z.enum(PSS_LEVELS).optional(),
    podSecurityVersion: z.string().regex(/^(latest|v1\.[0-9]{1,2})$/, 'is not `latest` or `v1.<minor>`').default('latest'),
    /** An error while deciding (database down): allow (`fail-open`) or deny (`fail-closed`). */
    failurePolicy: z.enum(['fail-open', 'fail-closed']).default('fail-closed'),
    /** Record what would have been denied, allow everything. */
    dryRun: z.boolean().default(false),
    /** Image signed by one of these keys: needs stored signature records through a generic contract (see refusal). */
    trustedKeys: z.array(z.string()).optional(),
  })
  .strict();

export type AdmissionPolicy = z.output<typeof policySchema>;

export class AdmissionPolicyError extends Error {}

/**
 * Parses and checks a policy. The signature rule is refused, as issue 11 asks until the
 * signer's stored signature records are reachable through a generic host contract: the plugin
 * SDK has none today, and a webhook that accepted the rule and never enforced it would admit
 * unsigned images while the operator believes they are refused.
 */
export function parseAdmissionPolicy(json: unknown, source = 'admission policy'): AdmissionPolicy {
  const parsed = policySchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new AdmissionPolicyError(`${source}: ${problems.join('; ')}`);
  }
  const policy = parsed.data;
  if (policy.trustedKeys !== undefined) {
    throw new AdmissionPolicyError(
      `${source}: trustedKeys: the signed-image rule is not available: no generic host contract gives this webhook the stored signature records (remove the rule; verify signatures with the promotion gate instead)`,
    );
  }
  if (!policy.allowedRegistries && !policy.maxSeverity && !policy.podSecurityLevel) {
    throw new AdmissionPolicyError(`${source}: no rule: set at least one of allowedRegistries, maxSeverity, podSecurityLevel`);
  }
  return policy;
}

/** The most a policy file may hold: a list of registries is small. */
const MAX_POLICY_BYTES = 256 * 1024;

export function readAdmissionPolicyFile(path: string): AdmissionPolicy {
  let text: string;
  try {
    const buffer = readFileSync(path);
    if (buffer.length > MAX_POLICY_BYTES) throw new AdmissionPolicyError(`admission policy ${path}: larger than ${MAX_POLICY_BYTES} bytes`);
    text = buffer.toString('utf8');
  } catch (error) {
    if (error instanceof AdmissionPolicyError) throw error;
    throw new AdmissionPolicyError(`admission policy ${path}: cannot read it: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AdmissionPolicyError(`admission policy ${path}: not JSON: ${(error as Error).message}`);
  }
  return parseAdmissionPolicy(json, `admission policy ${path}`);
}

export function severityRank(severity: string): number {
  return SEVERITIES.indexOf(severity as Severity);
}

export type { PssLevel };
