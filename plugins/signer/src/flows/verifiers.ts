import type { KeyObject } from 'node:crypto';
import type { SignatureCheck, SignatureFormat } from '../store/signature-records';
import type { ResolvedImage } from './resolve';

/** A public key a signature is checked with, and how records name it. */
export interface Verifier {
  /** `key:<fingerprint>` or `cert:<fingerprint>`. */
  name: string;
  publicKey: KeyObject;
  /** Who a valid signature is attributed to: the key fingerprint or the certificate subject. */
  identity: string;
}

export type VerifierOutcome = { ok: true } | { ok: false; reason: string };

/** What a check against each verifier adds to the record it is about. */
export interface VerifierVerdict {
  verifier: string;
  identity: string | null;
  valid: boolean;
  reason: string | null;
}

/**
 * One signature (or attestation) against every verifier: the first that accepts it makes one
 * valid record; when none does, one record per verifier with its reason (so "wrong key" names
 * each key tried). A check that throws counts as that verifier's refusal.
 */
export function checkEachVerifier<Base extends object>(base: Base, verifiers: readonly Verifier[], check: (verifier: Verifier) => VerifierOutcome): Array<Base & VerifierVerdict> {
  const failures: Array<Base & VerifierVerdict> = [];
  for (const verifier of verifiers) {
    let outcome: VerifierOutcome;
    try {
      outcome = check(verifier);
    } catch (error) {
      outcome = { ok: false, reason: (error as Error).message };
    }
    if (outcome.ok) return [{ ...base, verifier: verifier.name, identity: verifier.identity, valid: true, reason: null }];
    failures.push({ ...base, verifier: verifier.name, identity: null, valid: false, reason: outcome.reason });
  }
  return failures;
}

/** A signature's records: see checkEachVerifier. */
export function checkWithVerifiers(
  image: ResolvedImage,
  format: SignatureFormat,
  signatureDigest: string,
  verifiers: readonly Verifier[],
  check: (verifier: Verifier) => VerifierOutcome,
): SignatureCheck[] {
  return checkEachVerifier({ imageDigest: image.digest, reference: image.pinned, format, signatureDigest }, verifiers, check);
}
