import { readFileSync } from 'node:fs';
import { trustedKeyFingerprint } from './trusted-keys';
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
    /**
     * Every image must be pinned by digest and have a valid recorded signature by one of these
     * keys: PEM public keys (`-----BEGIN PUBLIC KEY-----`) or fingerprints (`key:<sha256 hex of
     * the DER SubjectPublicKeyInfo>`, as signingKeys and signature records name keys). Read
     * into fingerprints at start-up; needs a plugin providing `imageSignatures` (checked then).
     */
    trustedKeys: z
      .array(z.string().max(16 * 1024))
      .min(1)
      .max(100)
      .transform((keys, zod) =>
        keys.map((key, index) => {
          const fingerprint = trustedKeyFingerprint(key);
          if (typeof fingerprint !== 'string') zod.addIssue({ code: 'custom', path: [index], message: fingerprint.problem });
          return typeof fingerprint === 'string' ? fingerprint : '';
        }),
      )
      .optional(),
    /**
     * The signature rule also trusts the keys each team's admins add through GraphQL
     * (addAdmissionTrustedKey; the team of the webhook's token). Off by default: keys added
     * through the API never switch the rule on, or widen it, unless the operator says so here.
     * With no `trustedKeys` it alone turns the rule on (a team with no key then admits no pod).
     */
    apiTrustedKeys: z.boolean().default(false),
  })
  .strict();

/** A key the policy file trusts, as listed by admissionTrustedKeys: its PEM when the file gave one. */
export interface FileTrustedKey {
  fingerprint: string;
  publicKey: string | null;
  /** Position in the file's trustedKeys list. */
  index: number;
}

export type AdmissionPolicy = z.output<typeof policySchema> & {
  /** The file's trusted keys with their PEM (set with trustedKeys). */
  fileTrustedKeys?: FileTrustedKey[];
};

export class AdmissionPolicyError extends Error {}

/** Nest token of the parsed policy (provided only when BULKHEAD_ADMISSION_POLICY_FILE is set). */
export const ADMISSION_POLICY = Symbol('ADMISSION_POLICY');

/**
 * Parses and checks a policy (trusted keys become `key:<fingerprint>` strings). Whether the
 * signature records the `trustedKeys` rule needs are reachable is checked when the webhook
 * starts (admission.service.ts), where the host's services are known.
 */
export function parseAdmissionPolicy(json: unknown, source = 'admission policy'): AdmissionPolicy {
  const parsed = policySchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new AdmissionPolicyError(`${source}: ${problems.join('; ')}`);
  }
  const policy: AdmissionPolicy = parsed.data;
  if (!policy.allowedRegistries && !policy.maxSeverity && !policy.podSecurityLevel && !policy.trustedKeys && !policy.apiTrustedKeys) {
    throw new AdmissionPolicyError(`${source}: no rule: set at least one of allowedRegistries, maxSeverity, podSecurityLevel, trustedKeys, apiTrustedKeys`);
  }
  if (policy.trustedKeys) {
    // The entries parsed, so every one is a string; a PEM entry is kept to be shown (admissionTrustedKeys).
    const entries = (json as { trustedKeys: string[] }).trustedKeys;
    policy.fileTrustedKeys = policy.trustedKeys.map((fingerprint, index) => {
      const entry = entries[index]?.trim() ?? '';
      return { fingerprint, publicKey: entry.startsWith('-----BEGIN') ? `${entry}\n` : null, index };
    });
  }
  return policy;
}

/** The most a policy file may hold: a list of registries and of public keys is small. */
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
