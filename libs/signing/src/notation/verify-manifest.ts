import { NotationError } from './errors';
import { MAX_ENVELOPE_BYTES } from './limits';
import type { Descriptor } from './payload';
import { parseSignatureManifest, sha256Digest, type ParsedSignatureManifest } from './signature-manifest';
import { selectTrustPolicy } from './trust-policy';
import { verifyNotationSignature, type NotationVerification, type VerifyNotationOptions } from './verify';

export interface VerifySignatureManifestOptions extends Omit<VerifyNotationOptions, 'envelope' | 'mediaType'> {
  /** The signature manifest's bytes (as found through the referrers API). */
  manifest: Uint8Array;
  /** Fetches a blob of the signature's repository: the caller's registry access. */
  fetchBlob: (descriptor: Descriptor) => Promise<Uint8Array>;
}

export interface SignatureManifestVerification extends NotationVerification {
  signatureManifest?: ParsedSignatureManifest;
}

/**
 * Verifies one Notary signature as a registry holds it: the signature manifest, then its
 * envelope blob (size bounded before the fetch, digest checked after), then the envelope under
 * the trust policy. The envelope must sign the manifest's subject (and `expectedArtifact`, when
 * given): a manifest whose subject is A cannot carry a signature for B. A malformed manifest or
 * blob is a failed integrity check; errors of `fetchBlob` itself are the caller's and propagate.
 */
export async function verifySignatureManifest(options: VerifySignatureManifestOptions): Promise<SignatureManifestVerification> {
  const policy = selectTrustPolicy(options.trustPolicy, options.artifactReference);
  const { manifest, fetchBlob, ...rest } = options;
  if (policy.level === 'skip') return verifyNotationSignature({ ...rest, envelope: new Uint8Array(0), mediaType: '' });
  let parsed: ParsedSignatureManifest;
  let envelope: Uint8Array;
  try {
    parsed = parseSignatureManifest(manifest);
    const expected = options.expectedArtifact;
    if (expected && parsed.subject.digest !== expected.digest) {
      throw new NotationError('integrity', `the signature manifest's subject is ${parsed.subject.digest}, not the artifact ${expected.digest}`);
    }
    if (parsed.envelope.size > MAX_ENVELOPE_BYTES) throw new NotationError('malformed', `the signature envelope is ${parsed.envelope.size} bytes (at most ${MAX_ENVELOPE_BYTES})`);
    envelope = await fetchBlob(parsed.envelope);
    if (envelope.length !== parsed.envelope.size || sha256Digest(envelope) !== parsed.envelope.digest) {
      if (!parsed.envelope.digest.startsWith('sha256:')) throw new NotationError('unsupported', `the envelope digest ${parsed.envelope.digest} is not sha256`);
      throw new NotationError('integrity', `the signature envelope blob does not match its descriptor (${parsed.envelope.digest}, ${parsed.envelope.size} bytes)`);
    }
  } catch (error) {
    if (!(error instanceof NotationError)) throw error;
    const failure = { check: 'integrity' as const, action: 'enforce' as const, outcome: 'failed' as const, message: error.message };
    return { verified: false, policy: policy.name, level: policy.level, checks: [failure], failure };
  }
  const result = await verifyNotationSignature({ ...rest, envelope, mediaType: parsed.envelope.mediaType, expectedArtifact: options.expectedArtifact ?? parsed.subject });
  return { ...result, signatureManifest: parsed };
}
