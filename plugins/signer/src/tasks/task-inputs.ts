import { z } from 'zod';

export const SIGNER_KIND = 'signer';
export const SIGN_IMAGE = 'sign-image';
export const VERIFY_IMAGE = 'verify-image';

/** PEM text a client may hand a verification (a public key or a certificate chain): bounded. */
const MAX_PEM_CHARS = 64 * 1024;

export const signImageInput = z.object({
  ref: z.string().min(1).max(1024).describe('Image reference in a registry: host[:port]/repository(:tag|@sha256:...); a tag is resolved to its digest first and the digest is signed'),
  keyId: z.string().uuid().describe('Id of a server-side signing key of the team (signingKeys)'),
  signatureFormat: z.enum(['both', 'legacy', 'bundle']).default('both').describe("cosign's forms to write: legacy simple signing at the sha256-<hex>.sig tag, the Sigstore bundle v0.3 as a referrer, or both"),
  annotations: z.record(z.string().min(1).max(256), z.string().max(4096)).optional().describe('Extra key=value claims in the simple-signing payload (cosign -a)'),
});
export type SignImageInput = z.input<typeof signImageInput>;

export const verifyImageInput = z.object({
  ref: z.string().min(1).max(1024).describe('Image reference in a registry; a tag is resolved to its digest first'),
  keyIds: z.array(z.string().uuid()).max(50).optional().describe('Server-side keys to verify with (default: every key of the team)'),
  publicKey: z.string().min(1).max(MAX_PEM_CHARS).optional().describe('A PEM public key (cosign.pub) to verify with, instead of server keys'),
  certificate: z.string().min(1).max(MAX_PEM_CHARS).optional().describe("A PEM certificate whose public key verifies (cosign's --cert)"),
});
export type VerifyImageInput = z.input<typeof verifyImageInput>;
