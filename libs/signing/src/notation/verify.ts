import { parseEnvelope, verifyEnvelopeIntegrity } from './envelope';
import type { EnvelopeContent, SignedAttributes } from './envelope-model';
import { NotationError } from './errors';
import type { Descriptor } from './payload';
import { identityMatches, selectTrustPolicy, type TrustPolicy, type TrustPolicyDocument, type ValidationAction, type ValidationType } from './trust-policy';
import type { TrustStore, TrustStoreType } from './trust-store';
import { verifyTimestampToken, type VerifiedTimestamp } from './timestamp';
import { certificateInvalidAt, revocationEndpoints, validateCertificateChain, type Certificate } from './x509';

export interface VerifyNotationOptions {
  /** The signature envelope bytes (the signature manifest's layer). */
  envelope: Uint8Array;
  /** Its media type: application/jose+json or application/cose. */
  mediaType: string;
  /** `registry/repository@digest` (or `:tag`): selects the trust policy by registry scope. */
  artifactReference: string;
  /** The manifest being verified: the signed targetArtifact must name it (digest; size and media type when given). */
  expectedArtifact?: Pick<Descriptor, 'digest'> & Partial<Pick<Descriptor, 'size' | 'mediaType'>>;
  trustPolicy: TrustPolicyDocument;
  trustStore: TrustStore;
  /** Verification time; defaults to now. */
  now?: Date;
  /** Extended critical signed attributes the caller processes itself (else they fail integrity). */
  understoodCriticalAttributes?: string[];
}

export type CheckOutcome = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  check: ValidationType;
  /** What the policy does with a failure of this check. */
  action: ValidationAction;
  outcome: CheckOutcome;
  message: string;
}

export interface NotationVerification {
  /** True when no enforced check failed. */
  verified: boolean;
  policy: string;
  level: TrustPolicy['level'];
  /** Every check in the order run; a `failed` one with action `log` does not fail verification. */
  checks: CheckResult[];
  /** The first enforced failure, when `verified` is false. */
  failure?: CheckResult;
  descriptor?: Descriptor;
  signedAttributes?: SignedAttributes;
  certificateChain?: Certificate[];
  timestamp?: VerifiedTimestamp;
}

/**
 * The verification workflow of the Notary Project (trust-store-trust-policy.md, "Signature
 * Verification"): select the trust policy, then integrity, authenticity, expiry, authentic
 * timestamp and revocation, each enforced or logged as the policy's level says; the first
 * enforced failure ends verification.
 *
 * Revocation is not checked online here (no network in this library): a certificate naming no
 * OCSP or CRL endpoint is not revocable and passes, as the spec says; one that names endpoints
 * has its status "revocation unavailable", reported as a failed `revocation` check that says so
 * (it fails `strict`, is logged by `permissive` and `audit`, and `override.revocation: skip`
 * turns it off).
 *
 * Throws only for a policy that applies to nothing; every check failure is in the result.
 */
export async function verifyNotationSignature(options: VerifyNotationOptions): Promise<NotationVerification> {
  const policy = selectTrustPolicy(options.trustPolicy, options.artifactReference);
  const result: NotationVerification = { verified: false, policy: policy.name, level: policy.level, checks: [] };
  if (policy.level === 'skip') {
    for (const check of ['integrity', 'authenticity', 'authenticTimestamp', 'expiry', 'revocation'] as const) {
      result.checks.push({ check, action: 'skip', outcome: 'skipped', message: `trust policy ${policy.name} skips verification` });
    }
    result.verified = true;
    return result;
  }
  const now = options.now ?? new Date();
  const record = (check: ValidationType, outcome: CheckOutcome, message: string): boolean => {
    const action = policy.actions[check];
    const entry: CheckResult = { check, action, outcome, message };
    result.checks.push(entry);
    if (outcome === 'failed' && action === 'enforce') {
      result.failure = entry;
      return false;
    }
    return true;
  };
  const run = async (check: ValidationType, body: () => string | Promise<string>): Promise<boolean> => {
    if (policy.actions[check] === 'skip') return record(check, 'skipped', `trust policy ${policy.name} skips the ${check} check`);
    try {
      return record(check, 'passed', await body());
    } catch (error) {
      // A hostile envelope must end in a failed check, never in an exception from a library
      // underneath (pkijs, cbor): anything thrown counts as this check failing.
      const message = error instanceof NotationError ? error.message : `unexpected error during the ${check} check: ${(error as Error)?.message ?? String(error)}`;
      return record(check, 'failed', message);
    }
  };

  let content: EnvelopeContent | undefined;
  const integrity = await run('integrity', () => {
    content = parseEnvelope(options.envelope, options.mediaType);
    result.signedAttributes = content.signedAttributes;
    result.certificateChain = content.certificateChain;
    const descriptor = verifyEnvelopeIntegrity(content, { understoodCriticalAttributes: options.understoodCriticalAttributes });
    result.descriptor = descriptor;
    const expected = options.expectedArtifact;
    if (expected) {
      const differs = descriptor.digest !== expected.digest || (expected.size !== undefined && descriptor.size !== expected.size) || (expected.mediaType !== undefined && descriptor.mediaType !== expected.mediaType);
      if (differs) throw new NotationError('integrity', `the signature is for ${descriptor.digest} (${descriptor.mediaType}, ${descriptor.size} bytes), not the artifact ${expected.digest}`);
    }
    return `the ${content.format.toUpperCase()} signature (${content.algorithm}) verifies over ${descriptor.digest}`;
  });
  if (!integrity || !content) return result;
  const env: EnvelopeContent = content;

  if (!(await run('authenticity', () => checkAuthenticity(env, policy, options.trustStore)))) return result;
  if (!(await run('expiry', () => checkExpiry(env.signedAttributes, now)))) return result;
  if (
    !(await run('authenticTimestamp', async () => {
      const { message, timestamp } = await checkAuthenticTimestamp(env, policy, options.trustStore, now);
      result.timestamp = timestamp;
      return message;
    }))
  ) {
    return result;
  }
  if (!(await run('revocation', () => checkRevocation(env.certificateChain)))) return result;
  result.verified = true;
  return result;
}

function storeCertificates(store: TrustStore, policy: TrustPolicy, type: TrustStoreType): Certificate[] {
  return policy.trustStores.filter((s) => s.type === type).flatMap((s) => store.certificates(s.type, s.name));
}

function checkAuthenticity(content: EnvelopeContent, policy: TrustPolicy, store: TrustStore): string {
  const chain = content.certificateChain;
  validateCertificateChain(chain, 'codeSigning');
  const type: TrustStoreType = content.signedAttributes.signingScheme === 'notary.x509' ? 'ca' : 'signingAuthority';
  const names = policy.trustStores.filter((s) => s.type === type);
  if (names.length === 0) throw new NotationError('policy', `trust policy ${policy.name} names no ${type} trust store, which signing scheme ${content.signedAttributes.signingScheme} needs`);
  const trusted = storeCertificates(store, policy, type);
  const anchor = chain.find((c) => trusted.some((t) => t.der.equals(c.der)));
  if (!anchor) {
    throw new NotationError('certificate', `the certificate chain (${chain.map((c) => c.subjectText).join(' <- ')}) does not lead to a certificate of the trust stores ${names.map((n) => `${n.type}:${n.name}`).join(', ')}`);
  }
  const leaf = chain[0];
  if (policy.trustedIdentities) {
    const match = policy.trustedIdentities.find((id) => identityMatches(id, leaf.subject));
    if (!match) throw new NotationError('policy', `the signing certificate's subject (${leaf.subjectText}) matches none of the trusted identities of policy ${policy.name}`);
    return `signed by ${leaf.subjectText}, trusted through ${anchor.subjectText}, identity ${match.text}`;
  }
  return `signed by ${leaf.subjectText}, trusted through ${anchor.subjectText} (any identity)`;
}

function checkExpiry(attrs: SignedAttributes, now: Date): string {
  if (!attrs.expiry) return 'the signature has no expiry';
  if (now.getTime() >= attrs.expiry.getTime()) throw new NotationError('expired', `the signature expired at ${attrs.expiry.toISOString()}`);
  return `the signature expires at ${attrs.expiry.toISOString()}`;
}

async function checkAuthenticTimestamp(content: EnvelopeContent, policy: TrustPolicy, store: TrustStore, now: Date): Promise<{ message: string; timestamp?: VerifiedTimestamp }> {
  const chain = content.certificateChain;
  const attrs = content.signedAttributes;
  const within = (from: Date, to: Date, what: string) => {
    const invalid = certificateInvalidAt(chain, from, to);
    if (invalid) throw new NotationError('certificate', `certificate ${invalid.subjectText} (valid ${invalid.notBefore.toISOString()} to ${invalid.notAfter.toISOString()}) is not valid at ${what}`);
  };
  if (attrs.signingScheme === 'notary.x509.signingAuthority') {
    const time = attrs.authenticSigningTime as Date;
    within(time, time, `the authentic signing time ${time.toISOString()}`);
    return { message: `the certificate chain is valid at the authentic signing time ${time.toISOString()}` };
  }
  if (!content.timestampToken) {
    within(now, now, `the verification time ${now.toISOString()} (the signature has no timestamp)`);
    return { message: `no timestamp; the certificate chain is valid now (${now.toISOString()})` };
  }
  if (policy.verifyTimestamp === 'afterCertExpiry' && !certificateInvalidAt(chain, now)) {
    return { message: 'the certificate chain is still valid, and the policy checks the timestamp only after it expires' };
  }
  if (!policy.trustStores.some((s) => s.type === 'tsa')) {
    throw new NotationError('policy', `the signature has a timestamp countersignature, but trust policy ${policy.name} names no tsa trust store to verify it`);
  }
  const timestamp = await verifyTimestampToken(content.timestampToken, content.signature, storeCertificates(store, policy, 'tsa'));
  within(timestamp.lowerLimit, timestamp.upperLimit, `the timestamp ${timestamp.genTime.toISOString()}`);
  const tsaRevocable = timestamp.chain.filter((c) => revocationEndpoints(c).length > 0);
  const note = tsaRevocable.length > 0 ? `; revocation of the TSA chain is not checked offline (${tsaRevocable.map((c) => c.subjectText).join('; ')} name OCSP/CRL endpoints)` : '';
  return { message: `timestamped at ${timestamp.genTime.toISOString()} by ${timestamp.chain[0].subjectText}; the certificate chain was valid then${note}`, timestamp };
}

function checkRevocation(chain: Certificate[]): string {
  const revocable = chain.map((c) => ({ c, endpoints: revocationEndpoints(c) })).filter((r) => r.endpoints.length > 0);
  if (revocable.length === 0) return 'no certificate of the chain names an OCSP responder or CRL, so none can be revoked';
  throw new NotationError(
    'certificate',
    `revocation unavailable: ${revocable.map((r) => `${r.c.subjectText} (${r.endpoints.join(', ')})`).join('; ')} name revocation endpoints, and revocation is not checked offline`,
  );
}
