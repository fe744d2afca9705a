import { MAX_SIGNATURE_DIGESTS, type ImageSignatureService, type ImageSignatureVerdict } from '@bulkhead/plugin-sdk';
import { parseImageRef } from './image-ref';

/** At most this many verdicts are spelled out in one image's reason (then a count). */
const MAX_LISTED = 5;

/**
 * The `trustedKeys` rule: every image must be pinned by digest and that manifest digest must
 * have a VALID recorded signature whose verifier is one of the trusted keys. Decided from the
 * signature records only (the `imageSignatures` service, one query per request), never from the
 * registry: no network on the request path. A tag is refused, not resolved: what the kubelet
 * pulls for a tag is decided later, so no stored record can vouch for it.
 */
export class SignatureRule {
  constructor(private readonly signatures: ImageSignatureService) {}

  /**
   * One reason per image that breaks the rule (none: every image is signed by one of `trusted`,
   * the file's keys and the team's API keys).
   */
  async reasons(images: readonly string[], trusted: ReadonlySet<string>): Promise<string[]> {
    const pinned = new Map<string, string>();
    const reasons: string[] = [];
    for (const image of images) {
      const { digest } = parseImageRef(image);
      if (digest) pinned.set(image, digest);
      else reasons.push(`image ${image}: not pinned by digest, cannot check signature (trustedKeys)`);
    }
    // Only apiTrustedKeys and a team with no key: nothing can pass, and the denial says why.
    if (trusted.size === 0) {
      if (pinned.size > 0) reasons.push('no trusted key: the admission policy trusts keys added with addAdmissionTrustedKey (apiTrustedKeys) and this team has none, so no image can pass the signature rule');
      return reasons;
    }
    const verdicts = await this.verdictsOf([...new Set(pinned.values())]);
    for (const [image, digest] of pinned) {
      const own = verdicts.get(digest) ?? [];
      if (own.some((v) => v.valid && trusted.has(v.verifier))) continue;
      reasons.push(own.length === 0 ? `image ${image}: no signature recorded for ${digest} (unsigned, or never verified by Bulkhead)` : `image ${image}: no valid signature by a trusted key: ${describe(own, trusted)}`);
    }
    return reasons;
  }

  private async verdictsOf(digests: readonly string[]): Promise<Map<string, ImageSignatureVerdict[]>> {
    const byDigest = new Map<string, ImageSignatureVerdict[]>();
    for (let start = 0; start < digests.length; start += MAX_SIGNATURE_DIGESTS) {
      for (const verdict of await this.signatures.forDigests(digests.slice(start, start + MAX_SIGNATURE_DIGESTS))) {
        const list = byDigest.get(verdict.manifestDigest) ?? [];
        list.push(verdict);
        byDigest.set(verdict.manifestDigest, list);
      }
    }
    return byDigest;
  }

}

/** What was found instead: each signature's format, verdict and key, saying which keys are not trusted. */
function describe(verdicts: readonly ImageSignatureVerdict[], trusted: ReadonlySet<string>): string {
  const listed = verdicts.slice(0, MAX_LISTED).map((v) => {
    const verdict = v.valid ? 'valid' : `invalid (${v.reason ?? 'no reason recorded'})`;
    const key = trusted.has(v.verifier) ? `trusted ${short(v.verifier)}` : `${short(v.verifier)}, not a trusted key`;
    return `${v.format} signature ${verdict}, checked with ${key}`;
  });
  const more = verdicts.length > MAX_LISTED ? `; and ${verdicts.length - MAX_LISTED} more` : '';
  return `${listed.join('; ')}${more}`;
}

/** `key:` and the first 16 hex digits: enough to find the key, short enough for kubectl's message. */
function short(verifier: string): string {
  const match = /^(key|cert):([0-9a-f]{64})$/.exec(verifier);
  return match ? `${match[1]}:${match[2]?.slice(0, 16)}…` : verifier.slice(0, 80);
}
