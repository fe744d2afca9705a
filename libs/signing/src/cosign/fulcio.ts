import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { decodeBase64, isRecord, parseJson, requireObject } from './bounded';
import { SigningFormatError } from './errors';
import { certificateFromDer } from './keys';

/**
 * Keyless (Fulcio) certificates, checked offline against a Sigstore trusted root: the leaf must
 * chain to one of the root's certificate authorities, every certificate of the path must be valid
 * at the signing time (the log's integrated time, never "now": Fulcio certificates live ten
 * minutes), and the leaf must be for code signing. SCTs are not checked.
 */
export interface CertificateAuthority {
  /** Intermediates first, the root last (as trusted_root.json lists them). */
  chain: X509Certificate[];
  validFrom?: Date;
  validUntil?: Date;
  uri?: string;
}

/** The certificate authorities of a trusted root (`trusted_root.json`). */
export function trustedRootCertificateAuthorities(bytes: Uint8Array, what = 'trusted root'): CertificateAuthority[] {
  const doc = requireObject(parseJson(bytes, what, 4 * 1024 * 1024), what);
  const cas = Array.isArray(doc.certificateAuthorities) ? doc.certificateAuthorities : [];
  return cas.slice(0, 64).map((raw, i) => {
    const at = `${what}: certificateAuthorities[${i}]`;
    const ca = requireObject(raw, at);
    const certs = isRecord(ca.certChain) && Array.isArray(ca.certChain.certificates) ? ca.certChain.certificates : [];
    if (certs.length === 0 || certs.length > 10) throw new SigningFormatError(`${at}: certChain must hold 1 to 10 certificates`);
    const chain = certs.map((c, j) => certificateFromDer(decodeBase64(isRecord(c) ? c.rawBytes : undefined, `${at}.certChain[${j}]`, 64 * 1024), `${at}.certChain[${j}]`));
    const validFor = isRecord(ca.validFor) ? ca.validFor : {};
    return {
      chain,
      validFrom: typeof validFor.start === 'string' ? new Date(validFor.start) : undefined,
      validUntil: typeof validFor.end === 'string' ? new Date(validFor.end) : undefined,
      uri: typeof ca.uri === 'string' ? ca.uri : undefined,
    };
  });
}

export interface CertificateIdentity {
  /** The SAN as Node prints it: `email:a@b`, `URI:https://...`. */
  subjectAlternativeName?: string;
  /** The OIDC issuer Fulcio recorded (extension 1.3.6.1.4.1.57264.1.8, or the older .1.1). */
  issuer?: string;
}

export type ChainVerification = { ok: true; path: X509Certificate[]; identity: CertificateIdentity } | { ok: false; message: string };

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** Verifies `leaf` up to a trusted authority, everything valid at `at` (the signing time). */
export function verifyCertificateChain(leaf: X509Certificate, authorities: CertificateAuthority[], at: Date): ChainVerification {
  if (!inValidity(leaf, at)) return { ok: false, message: `the certificate was not valid at ${at.toISOString()} (valid ${leaf.validFrom} to ${leaf.validTo})` };
  if (!(leaf.keyUsage ?? []).includes(CODE_SIGNING)) return { ok: false, message: 'the certificate is not for code signing (extended key usage)' };
  const problems: string[] = [];
  for (const ca of authorities) {
    if ((ca.validFrom && at < ca.validFrom) || (ca.validUntil && at > ca.validUntil)) continue;
    const path = [leaf, ...ca.chain];
    const problem = checkPath(path, at);
    if (problem === undefined) return { ok: true, path, identity: certificateIdentity(leaf) };
    problems.push(problem);
  }
  return { ok: false, message: problems.length === 0 ? `no trusted certificate authority was valid at ${at.toISOString()}` : `the certificate does not chain to a trusted authority (${problems[0]})` };
}

function checkPath(path: X509Certificate[], at: Date): string | undefined {
  for (let i = 0; i < path.length; i++) {
    const cert = path[i];
    const issuer = path[i + 1] ?? cert; // the root signs itself
    if (i > 0 && !cert.ca) return `${nameOf(cert)} is not a CA certificate`;
    if (!inValidity(cert, at)) return `${nameOf(cert)} was not valid at ${at.toISOString()}`;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return `${nameOf(cert)} is not signed by ${nameOf(issuer)}`;
  }
  return undefined;
}

/** A certificate's subject for messages; Fulcio leaves have an empty subject (Node gives undefined). */
function nameOf(cert: X509Certificate): string {
  return (cert.subject as string | undefined)?.replace(/\n/g, ', ') || 'the leaf certificate (empty subject)';
}

function inValidity(cert: X509Certificate, at: Date): boolean {
  return new Date(cert.validFrom) <= at && at <= new Date(cert.validTo);
}

/** The signer identity Fulcio put in a certificate. */
export function certificateIdentity(cert: X509Certificate): CertificateIdentity {
  const identity: CertificateIdentity = {};
  if (cert.subjectAltName) identity.subjectAlternativeName = cert.subjectAltName;
  let parsed: pkijs.Certificate;
  try {
    parsed = pkijs.Certificate.fromBER(cert.raw);
  } catch {
    return identity;
  }
  const extension = (oid: string) => parsed.extensions?.find((e) => e.extnID === oid);
  const v2 = extension('1.3.6.1.4.1.57264.1.8');
  const v1 = extension('1.3.6.1.4.1.57264.1.1');
  if (v2) {
    const inner = asn1js.fromBER(v2.extnValue.valueBlock.valueHexView);
    if (inner.offset !== -1 && inner.result instanceof asn1js.Utf8String) identity.issuer = inner.result.valueBlock.value;
  } else if (v1) identity.issuer = Buffer.from(v1.extnValue.valueBlock.valueHexView).toString('utf8');
  return identity;
}

export interface IdentityPolicy {
  /** The SAN without its type prefix (an email or a URI), exactly or as a RegExp. */
  subjectAlternativeName?: string | RegExp;
  issuer?: string | RegExp;
}

/** cosign's --certificate-identity / --certificate-oidc-issuer checks. */
export function checkIdentity(identity: CertificateIdentity, policy: IdentityPolicy): { ok: true } | { ok: false; message: string } {
  const sans = (identity.subjectAlternativeName ?? '').split(', ').map((s) => s.replace(/^(email|URI|DNS):/, ''));
  if (policy.subjectAlternativeName !== undefined && !sans.some((s) => matches(s, policy.subjectAlternativeName as string | RegExp))) {
    return { ok: false, message: `certificate identity ${identity.subjectAlternativeName ?? '(none)'} does not match ${String(policy.subjectAlternativeName)}` };
  }
  if (policy.issuer !== undefined && !(identity.issuer !== undefined && matches(identity.issuer, policy.issuer))) {
    return { ok: false, message: `certificate OIDC issuer ${identity.issuer ?? '(none)'} does not match ${String(policy.issuer)}` };
  }
  return { ok: true };
}

function matches(value: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? value === pattern : pattern.test(value);
}
