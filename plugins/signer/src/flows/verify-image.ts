import type { RegistryClient } from '@bulkhead/oci';
import type { AttestationCheck, SignatureCheck } from '../store/signature-records';
import { verifyAttestations } from './attestations';
import { findBundles, verifyBundles } from './cosign-bundle';
import { verifyLegacy } from './cosign-legacy';
import { resolveImage } from './resolve';
import type { Verifier } from './verifiers';

export interface VerifyImageResult {
  reference: string;
  digest: string;
  /** A valid signature over `digest` was found. */
  verified: boolean;
  /** Every signature found and how each check went (`bulkhead verify --format json` lists them). */
  checks: SignatureCheck[];
  /** Every attestation found (when asked for) and its verdict. */
  attestations: AttestationCheck[];
  /** Why verification failed (null when verified). */
  reason: string | null;
}

/**
 * Finds the image's cosign signatures (legacy tag and bundle referrers) and checks each; with
 * `attestations`, its attestations too (the referrers are listed once for both).
 */
export async function verifyImageSignatures(client: RegistryClient, reference: string, verifiers: readonly Verifier[], options: { attestations?: boolean } = {}): Promise<VerifyImageResult> {
  const image = await resolveImage(client, reference);
  const bundles = await findBundles(client, image);
  const checks = [...(await verifyLegacy(client, image, verifiers)), ...(await verifyBundles(client, image, verifiers, bundles))];
  const attestations = options.attestations ? await verifyAttestations(client, image, verifiers, undefined, bundles) : [];
  const verified = checks.some((c) => c.valid);
  return {
    reference: image.pinned,
    digest: image.digest,
    verified,
    checks,
    attestations,
    reason: verified ? null : checks.length === 0 ? `no cosign signatures found for ${image.digest} (neither the sha256-<hex>.sig tag nor bundle referrers)` : 'no signature verifies over this digest',
  };
}
