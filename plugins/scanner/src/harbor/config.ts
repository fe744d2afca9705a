import { z } from 'zod';
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
});

export type HarborApiConfig = z.output<typeof harborApiConfig>;
