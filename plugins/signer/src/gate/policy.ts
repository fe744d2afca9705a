import { BadInputError, SEVERITIES } from '@bulkhead/plugin-sdk';
import { parse } from 'yaml';
import { z } from 'zod';

/** Severities a policy may name as the highest it accepts (UNKNOWN is no threshold). */
export const POLICY_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] as const;

/** Largest policy file read (a policy is a few lines; anything larger is not one). */
export const MAX_POLICY_BYTES = 64 * 1024;

/**
 * A promotion policy. Every object is strict: in a security policy a misspelt key
 * (`maxSeverty`) silently ignored would pass images the author meant to stop.
 */
export const promotionPolicySchema = z
  .object({
    /** Vulnerabilities above this severity fail the gate (absent: no severity limit). */
    maxSeverity: z.enum(POLICY_SEVERITIES).optional(),
    /** Secrets found in any layer fail the gate unless this is true. */
    allowSecrets: z.boolean().default(false),
    /** Vulnerabilities without a fixed version do not count against maxSeverity. */
    ignoreUnfixed: z.boolean().default(false),
    benchmark: z
      .object({
        /** Most failed image checks allowed (those in allowedRules not counted); absent: any number. */
        maxFailures: z.number().int().min(0).optional(),
        /** Check ids (CIS-DI-0001, DKL-DI-0005) whose failures never count. */
        allowedRules: z.array(z.string().min(1).max(200)).max(1000).default([]),
      })
      .strict()
      .optional(),
    /** Key ids or identities whose valid signature must already be on the image. */
    requiredSigners: z.array(z.string().min(1).max(1000)).max(100).default([]),
  })
  .strict();

export type PromotionPolicy = z.output<typeof promotionPolicySchema>;
export type PromotionPolicyInput = z.input<typeof promotionPolicySchema>;

/**
 * Reads a policy file's text (YAML or JSON; JSON is YAML) into a checked policy. Errors name
 * the file and every bad field; aliases are bounded (no "billion laughs").
 */
export function parsePromotionPolicy(text: string, source: string): PromotionPolicy {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) throw new BadInputError(`policy ${source}: larger than ${MAX_POLICY_BYTES} bytes: not a policy`);
  let document: unknown;
  try {
    document = parse(text, { maxAliasCount: 50, uniqueKeys: true });
  } catch (error) {
    throw new BadInputError(`policy ${source}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (document === null || document === undefined) throw new BadInputError(`policy ${source}: empty; give at least one rule (e.g. maxSeverity: HIGH)`);
  return checkPromotionPolicy(document, source);
}

/** Checks an already parsed policy (a GraphQL argument, a task input). */
export function checkPromotionPolicy(value: unknown, source: string): PromotionPolicy {
  const parsed = promotionPolicySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const at = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') return `${at}: unknown key(s) ${issue.keys.join(', ')}`;
    return `${at}: ${issue.message}`;
  });
  throw new BadInputError(`policy ${source}: ${problems.join('; ')} (severities: ${POLICY_SEVERITIES.join(', ')})`);
}

/** Ranks severities for comparison; UNKNOWN ranks with INFO (it says nothing about impact). */
export function severityRank(severity: string): number {
  const index = (SEVERITIES as readonly string[]).indexOf(severity);
  if (severity === 'UNKNOWN' || index < 0) return 0;
  return 4 - index;
}
