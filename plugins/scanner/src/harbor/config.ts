import { z } from 'zod';
import { registryServerConfigFromEnv } from '@bulkhead/oci';
import { CREDENTIAL_KEY_SETTING, parseCredentialKey } from './credential-key';

/*
 * The Harbor adapter's settings in the API process, validated with the scanner's at start-up (a
 * bad value stops the process naming the variable). The workers read the credential key again
 * from their own environment (worker-credentials.ts): both must hold the same key.
 */
export const harborApiConfig = z.object({
  /** AES-256 key (32 bytes, base64) sealing the registry credentials Harbor sends; unset: scan requests with credentials are refused. */
  [CREDENTIAL_KEY_SETTING]: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseCredentialKey(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  /*
   * The registry stream's server-mode rules, read here too so that the API refuses a scan request
   * for a registry the workers would refuse, before anything is stored or queued (the workers
   * read the same variables: see registryServerConfigFromEnv).
   */
  BULKHEAD_REGISTRY_ALLOWED_HOSTS: z.string().optional(),
  BULKHEAD_REGISTRY_ALLOW_PRIVATE: z.string().optional(),
  BULKHEAD_REGISTRY_INSECURE_HOSTS: z.string().optional(),
});

/** A refinement for the configuration that includes harborApiConfig's keys: the registry variables must read. */
export function checkRegistryConfig(config: Parameters<typeof registryEnv>[0], ctx: z.RefinementCtx): void {
  try {
    registryServerConfigFromEnv(registryEnv(config));
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['BULKHEAD_REGISTRY_ALLOW_PRIVATE'], message: error instanceof Error ? error.message : String(error) });
  }
}

/** The registry variables of the configuration, as registryServerConfigFromEnv reads them. */
export function registryEnv(config: Partial<Record<'BULKHEAD_REGISTRY_ALLOWED_HOSTS' | 'BULKHEAD_REGISTRY_ALLOW_PRIVATE' | 'BULKHEAD_REGISTRY_INSECURE_HOSTS', string>>): NodeJS.ProcessEnv {
  return {
    BULKHEAD_REGISTRY_ALLOWED_HOSTS: config.BULKHEAD_REGISTRY_ALLOWED_HOSTS,
    BULKHEAD_REGISTRY_ALLOW_PRIVATE: config.BULKHEAD_REGISTRY_ALLOW_PRIVATE,
    BULKHEAD_REGISTRY_INSECURE_HOSTS: config.BULKHEAD_REGISTRY_INSECURE_HOSTS,
  };
}

export type HarborApiConfig = z.output<typeof harborApiConfig>;
