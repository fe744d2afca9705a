import { BundleVerification, bundleCertificates, SigstoreBundle, verifyImageBundle } from './bundle';
import { SigningFormatError } from './errors';
import { CertificateAuthority, CertificateIdentity, checkIdentity, IdentityPolicy, trustedRootCertificateAuthorities, verifyCertificateChain } from './fulcio';
import { InTotoStatement } from './in-toto';
import { publicKeyFromCertificate } from './keys';
import { TransparencyLogKey, trustedRootLogs, verifyBundleInclusionPromises, verifyLegacyRekorBundle } from './rekor';
import { checkTlogBodies } from './tlog';
import { SignatureFailureReason, verifySimpleSigning } from './simple-signing';

/**
 * Keyless verification in one call, in the order that keeps it sound: the signature with the
 * certificate's key, the transparency log's signed timestamp (which gives the signing time), the
 * certificate chain at that time, then the signer identity. Checking the chain at "now" instead
 * would refuse every Fulcio certificate (they live ten minutes) or, worse, invite skipping it.
 */
export interface TrustedRoot {
  logs: TransparencyLogKey[];
  authorities: CertificateAuthority[];
}

/** A Sigstore trusted root (`trusted_root.json`): its transparency logs and certificate authorities. */
export function parseTrustedRoot(bytes: Uint8Array, what = 'trusted root'): TrustedRoot {
  return { logs: trustedRootLogs(bytes, what), authorities: trustedRootCertificateAuthorities(bytes, what) };
}

export type KeylessFailureReason = 'no-certificate' | 'no-timestamp' | 'untrusted-certificate' | 'identity-mismatch';

export type KeylessVerification =
  | { ok: true; identity: CertificateIdentity; integratedTime: Date; statement?: InTotoStatement }
  | { ok: false; reason: KeylessFailureReason | SignatureFailureReason | Exclude<BundleVerification, { ok: true }>['reason']; message: string };

/** A keyless bundle attached to an image (cosign v3 keyless `sign` / `attest`). */
export function verifyKeylessImageBundle(
  bundle: SigstoreBundle,
  root: TrustedRoot,
  imageDigest: string,
  options: { identity: IdentityPolicy; predicateType?: string; manifest?: Uint8Array },
): KeylessVerification {
  requirePolicy(options.identity);
  let leafCerts;
  try {
    leafCerts = bundleCertificates(bundle);
  } catch (error) {
    return { ok: false, reason: 'no-certificate', message: (error as Error).message };
  }
  const leaf = leafCerts?.[0];
  if (!leaf) return { ok: false, reason: 'no-certificate', message: 'the bundle is key-based: it holds no certificate' };
  const signed = verifyImageBundle(bundle, leaf.publicKey, imageDigest, { predicateType: options.predicateType, manifest: options.manifest });
  if (!signed.ok) return signed;
  // The signing time must come from a log entry proven to be about this signature: every entry's
  // body is checked against it, and a kind we cannot check cannot lend its timestamp.
  const bodies = checkTlogBodies(bundle, leaf.publicKey);
  if (!bodies.ok) return { ok: false, reason: 'tlog-mismatch', message: bodies.message };
  if (bodies.unchecked.length > 0) return { ok: false, reason: 'no-timestamp', message: `transparency log entries of kind ${bodies.unchecked.join(', ')} cannot be tied to this signature` };
  const promises = verifyBundleInclusionPromises(bundle, root.logs);
  if (!promises.ok) return { ok: false, reason: 'no-timestamp', message: promises.message };
  const [integratedTime] = promises.integratedTimes;
  if (!integratedTime) return { ok: false, reason: 'no-timestamp', message: 'no transparency log entry with a signed entry timestamp: the signing time is unknown' };
  return trustAndIdentity(leaf, root, integratedTime, options.identity, signed.statement);
}

export interface KeylessLegacyInput {
  payload: Uint8Array;
  signature: string;
  /** dev.sigstore.cosign/certificate */
  certificatePem: string;
  /** dev.sigstore.cosign/bundle (the Rekor SET); required: it gives the signing time. */
  rekorBundle?: string;
  expectedDigest: string;
  identity: IdentityPolicy;
}

/** A keyless legacy signature (a `.sig` layer with certificate and Rekor bundle annotations). */
export function verifyKeylessSimpleSigning(input: KeylessLegacyInput, root: TrustedRoot): KeylessVerification {
  requirePolicy(input.identity);
  let leaf;
  try {
    leaf = publicKeyFromCertificate(input.certificatePem, 'dev.sigstore.cosign/certificate');
  } catch (error) {
    return { ok: false, reason: 'no-certificate', message: (error as Error).message };
  }
  const signed = verifySimpleSigning({ payload: input.payload, signature: input.signature, publicKey: leaf.publicKey, expectedDigest: input.expectedDigest });
  if (!signed.ok) return { ok: false, reason: signed.reason, message: signed.message };
  if (input.rekorBundle === undefined) return { ok: false, reason: 'no-timestamp', message: 'no dev.sigstore.cosign/bundle annotation: the signing time is unknown' };
  const set = verifyLegacyRekorBundle(input.rekorBundle, root.logs, { payload: input.payload, signature: input.signature, publicKey: leaf.publicKey });
  if (!set.ok) return { ok: false, reason: 'no-timestamp', message: set.message };
  return trustAndIdentity(leaf.certificate, root, set.integratedTime, input.identity);
}

/** cosign refuses keyless verification without both; so do we (any Fulcio user would pass). */
function requirePolicy(policy: IdentityPolicy): void {
  if (policy.subjectAlternativeName === undefined || policy.issuer === undefined) {
    throw new SigningFormatError('keyless verification needs both a certificate identity and an OIDC issuer');
  }
}

function trustAndIdentity(
  leaf: Parameters<typeof verifyCertificateChain>[0],
  root: TrustedRoot,
  at: Date,
  policy: IdentityPolicy,
  statement?: InTotoStatement,
): KeylessVerification {
  const chain = verifyCertificateChain(leaf, root.authorities, at);
  if (!chain.ok) return { ok: false, reason: 'untrusted-certificate', message: chain.message };
  const identity = checkIdentity(chain.identity, policy);
  if (!identity.ok) return { ok: false, reason: 'identity-mismatch', message: identity.message };
  return statement ? { ok: true, identity: chain.identity, integratedTime: at, statement } : { ok: true, identity: chain.identity, integratedTime: at };
}
