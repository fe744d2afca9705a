import { z } from 'zod';
import { MASTER_KEY_SETTING } from '../keys/master-key';

/*
 * The signer's configuration in the API process. The master key is read as text and checked
 * only when a key operation needs it (createSigningKey, importSigningKey): an API that never
 * signs starts without it, and a bad one is reported by that operation, naming the variable.
 */
export const signerApiConfig = z.object({
  [MASTER_KEY_SETTING]: z.string().optional(),
});

export type SignerApiConfig = z.output<typeof signerApiConfig>;
