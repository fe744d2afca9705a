import { createHash, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { malformed, NotationError } from './errors';
import { MAX_CERTIFICATE_BYTES, MAX_CHAIN_LENGTH } from './limits';

/**
 * One X.509 certificate, read once: node's X509Certificate does the signature checks and key
 * details; pkijs reads what node does not expose (extension criticality, key usage bits,
 * extended key usage, the subject's attributes in order).
 */
export interface Certificate {
  der: Buffer;
  node: X509Certificate;
  /** SHA-256 of the DER, lowercase hex (the thumbprint the signature manifest lists). */
  sha256: string;
  subject: DistinguishedName;
  /** The subject as text, `C=US, ST=WA, O=Notary, CN=…`, for messages. */
  subjectText: string;
  notBefore: Date;
  notAfter: Date;
  signatureAlgorithm: string;
  /** DER of the subject and issuer names, compared bytewise to link a chain. */
  subjectName: Buffer;
  issuerName: Buffer;
  basicConstraints?: { critical: boolean; ca: boolean; pathLen?: number };
  keyUsage?: { critical: boolean; bits: Set<KeyUsageBit> };
  extendedKeyUsage?: { critical: boolean; purposes: string[] };
  /** The certificate names CRL distribution points (2.5.29.31). */
  hasCrlDistributionPoints: boolean;
}

/** Attribute type (short name where known, else the OID) and value, in certificate order. */
export type DistinguishedName = Array<{ type: string; value: string }>;

export type KeyUsageBit =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';
const KEY_USAGE_BITS: KeyUsageBit[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export const EKU = {
  any: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const;

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.17': 'POSTALCODE',
  '2.5.4.42': 'GIVENNAME',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'E',
};

/** Signature algorithms the Notary Project forbids anywhere in a chain (section "Other requirements"). */
const WEAK_SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
};

export function parseCertificate(der: Uint8Array, what = 'certificate'): Certificate {
  if (der.length > MAX_CERTIFICATE_BYTES) throw malformed(`${what} is ${der.length} bytes (at most ${MAX_CERTIFICATE_BYTES})`);
  const bytes = Buffer.from(der);
  let node: X509Certificate;
  let cert: pkijs.Certificate;
  try {
    node = new X509Certificate(bytes);
    cert = pkijs.Certificate.fromBER(bytes);
  } catch (error) {
    throw malformed(`${what} is not a DER X.509 certificate: ${(error as Error).message}`);
  }
  const subject: DistinguishedName = cert.subject.typesAndValues.map((tv) => ({
    type: ATTRIBUTE_NAMES[tv.type] ?? tv.type,
    value: String(tv.value.valueBlock.value),
  }));
  const parsed: Certificate = {
    der: bytes,
    node,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    subject,
    subjectText: subject.map((a) => `${a.type}=${a.value}`).join(', '),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    signatureAlgorithm: cert.signatureAlgorithm.algorithmId,
    subjectName: Buffer.from(cert.subject.toSchema().toBER()),
    issuerName: Buffer.from(cert.issuer.toSchema().toBER()),
    hasCrlDistributionPoints: false,
  };
  for (const ext of cert.extensions ?? []) readExtension(parsed, ext, what);
  return parsed;
}

function readExtension(parsed: Certificate, ext: pkijs.Extension, what: string): void {
  const critical = ext.critical;
  const inner = () => {
    const decoded = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView);
    if (decoded.offset === -1) throw malformed(`${what} has an unreadable extension ${ext.extnID}`);
    return decoded.result;
  };
  switch (ext.extnID) {
    case '2.5.29.19': {
      const seq = inner();
      if (!(seq instanceof asn1js.Sequence)) throw malformed(`${what} has a malformed basicConstraints extension`);
      let ca = false;
      let pathLen: number | undefined;
      for (const item of seq.valueBlock.value) {
        if (item instanceof asn1js.Boolean) ca = item.valueBlock.value;
        else if (item instanceof asn1js.Integer) pathLen = item.valueBlock.valueDec;
      }
      parsed.basicConstraints = { critical, ca, pathLen };
      return;
    }
    case '2.5.29.15': {
      const bits = inner();
      if (!(bits instanceof asn1js.BitString)) throw malformed(`${what} has a malformed keyUsage extension`);
      const view = bits.valueBlock.valueHexView;
      const set = new Set<KeyUsageBit>();
      KEY_USAGE_BITS.forEach((name, i) => {
        const byte = view[i >> 3];
        if (byte !== undefined && byte & (0x80 >> (i & 7))) set.add(name);
      });
      parsed.keyUsage = { critical, bits: set };
      return;
    }
    case '2.5.29.37': {
      const seq = inner();
      if (!(seq instanceof asn1js.Sequence)) throw malformed(`${what} has a malformed extendedKeyUsage extension`);
      const purposes = seq.valueBlock.value.map((item) => {
        if (!(item instanceof asn1js.ObjectIdentifier)) throw malformed(`${what} has a malformed extendedKeyUsage extension`);
        return item.valueBlock.toString();
      });
      parsed.extendedKeyUsage = { critical, purposes };
      return;
    }
    case '2.5.29.31':
      // Read only to report that revocation could not be checked (see verify.ts).
      parsed.hasCrlDistributionPoints = true;
      return;
    default:
      // The Notary Project honours only these three extensions and "fails open" on the rest.
      return;
  }
}

/**
 * Certificates from a file: one or more PEM blocks, or a single DER certificate (the trust
 * store accepts both, in .pem, .crt and .cer files).
 */
export function parseCertificateFile(bytes: Uint8Array, what: string): Certificate[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
    const certs = blocks.filter((b) => b[1] === 'CERTIFICATE' || b[1] === 'TRUSTED CERTIFICATE');
    if (certs.length === 0) throw malformed(`${what} has no PEM CERTIFICATE block`);
    return certs.map((b, i) => {
      const body = b[2].replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw malformed(`${what}: PEM block ${i + 1} is not valid base64`);
      return parseCertificate(Buffer.from(body, 'base64'), `${what} (PEM block ${i + 1})`);
    });
  }
  return [parseCertificate(bytes, what)];
}

export function toPem(cert: Certificate): string {
  const body = cert.der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

export type CertificatePurpose = 'codeSigning' | 'timeStamping';

/**
 * Checks an ordered chain (signing certificate first, root last) against the Notary Project's
 * certificate requirements: each certificate is signed by the next, the last is self-signed, CA
 * certificates have critical basicConstraints cA=true (pathLen honoured) and critical keyUsage
 * keyCertSign, the leaf has critical keyUsage digitalSignature and no conflicting bits, its EKU
 * fits the purpose, keys are large enough, and no certificate is signed with SHA-1 or MD5.
 * Validity periods are not checked here: that depends on the (authentic) signing time.
 */
export function validateCertificateChain(chain: Certificate[], purpose: CertificatePurpose): void {
  const label = purpose === 'codeSigning' ? 'signing' : 'timestamping';
  if (chain.length === 0) throw new NotationError('certificate', `the ${label} certificate chain is empty`);
  if (chain.length > MAX_CHAIN_LENGTH) throw new NotationError('certificate', `the ${label} certificate chain has ${chain.length} certificates (at most ${MAX_CHAIN_LENGTH})`);
  chain.forEach((cert, i) => {
    const weak = WEAK_SIGNATURE_ALGORITHMS[cert.signatureAlgorithm];
    if (weak) throw new NotationError('certificate', `certificate ${i} (${cert.subjectText}) is signed with ${weak}, which the Notary Project forbids`);
    checkKeyLength(cert, i);
  });
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i];
    const parent = chain[i + 1];
    if (!issuedBy(child, parent)) {
      throw new NotationError('certificate', `the ${label} certificate chain is out of order: certificate ${i} (${child.subjectText}) is not issued by certificate ${i + 1} (${parent.subjectText})`);
    }
  }
  const root = chain[chain.length - 1];
  if (!isSelfSigned(root)) throw new NotationError('certificate', `the ${label} certificate chain does not end with a self-signed root (the last is ${root.subjectText})`);
  checkLeaf(chain[0], purpose);
  if (chain.length === 1) return; // a lone root must meet the leaf rules only
  for (let i = 1; i < chain.length; i++) checkCa(chain[i], i, i - 1);
}

/**
 * True when `issuer` signed `child`: names link and the signature verifies. (Not node's
 * checkIssued: OpenSSL's also demands keyCertSign, which a self-signed leaf lacks; the key usage
 * rules are checked separately, per position in the chain.)
 */
export function issuedBy(child: Certificate, issuer: Certificate): boolean {
  return child.issuerName.equals(issuer.subjectName) && child.node.verify(issuer.node.publicKey);
}

export function isSelfSigned(cert: Certificate): boolean {
  return issuedBy(cert, cert);
}

function checkKeyLength(cert: Certificate, index: number): void {
  const key = cert.node.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    if ((details.modulusLength ?? 0) < 2048) throw new NotationError('certificate', `certificate ${index} (${cert.subjectText}) has an RSA key of ${details.modulusLength} bits (at least 2048)`);
  } else if (key.asymmetricKeyType === 'ec') {
    if (!['prime256v1', 'secp384r1', 'secp521r1'].includes(details.namedCurve ?? '')) {
      throw new NotationError('certificate', `certificate ${index} (${cert.subjectText}) has an EC key on ${details.namedCurve}, not P-256, P-384 or P-521`);
    }
  } else {
    throw new NotationError('certificate', `certificate ${index} (${cert.subjectText}) has a ${key.asymmetricKeyType} key; the Notary Project allows RSA and ECDSA`);
  }
}

function checkLeaf(cert: Certificate, purpose: CertificatePurpose): void {
  const who = `the ${purpose === 'codeSigning' ? 'signing' : 'timestamping'} certificate (${cert.subjectText})`;
  if (cert.basicConstraints?.ca) throw new NotationError('certificate', `${who} is a CA certificate (basicConstraints cA=true)`);
  if (!cert.keyUsage) throw new NotationError('certificate', `${who} has no keyUsage extension`);
  if (!cert.keyUsage.critical) throw new NotationError('certificate', `${who} has a keyUsage extension that is not critical`);
  if (!cert.keyUsage.bits.has('digitalSignature')) throw new NotationError('certificate', `${who} lacks the digitalSignature key usage`);
  const forbidden = (['keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const).filter((b) => cert.keyUsage?.bits.has(b));
  if (forbidden.length > 0) throw new NotationError('certificate', `${who} has the key usage ${forbidden.join(', ')}, which a Notary Project leaf must not have`);
  const eku = cert.extendedKeyUsage?.purposes;
  if (!eku) return;
  const banned = purpose === 'codeSigning' ? [EKU.any, EKU.serverAuth, EKU.clientAuth, EKU.emailProtection, EKU.timeStamping] : [EKU.any, EKU.serverAuth, EKU.clientAuth, EKU.emailProtection, EKU.codeSigning];
  const bad = eku.filter((p) => (banned as string[]).includes(p));
  if (bad.length > 0) throw new NotationError('certificate', `${who} has the extended key usage ${bad.join(', ')}, which a ${purpose} certificate must not have`);
  if (purpose === 'timeStamping' && !eku.includes(EKU.timeStamping)) throw new NotationError('certificate', `${who} lacks the timeStamping extended key usage`);
}

function checkCa(cert: Certificate, index: number, /** intermediates between it and the leaf */ below: number): void {
  const who = `CA certificate ${index} (${cert.subjectText})`;
  const bc = cert.basicConstraints;
  if (!bc) throw new NotationError('certificate', `${who} has no basicConstraints extension`);
  if (!bc.critical) throw new NotationError('certificate', `${who} has a basicConstraints extension that is not critical`);
  if (!bc.ca) throw new NotationError('certificate', `${who} is not a CA (basicConstraints cA=false)`);
  // pathLenConstraint counts the intermediates below this CA (the leaf is not counted).
  if (bc.pathLen !== undefined && below > bc.pathLen) throw new NotationError('certificate', `${who} allows ${bc.pathLen} intermediate certificates below it, the chain has ${below}`);
  if (!cert.keyUsage) throw new NotationError('certificate', `${who} has no keyUsage extension`);
  if (!cert.keyUsage.critical) throw new NotationError('certificate', `${who} has a keyUsage extension that is not critical`);
  if (!cert.keyUsage.bits.has('keyCertSign')) throw new NotationError('certificate', `${who} lacks the keyCertSign key usage`);
}

/** The first certificate of the chain whose validity period does not contain `time`, if any. */
export function certificateInvalidAt(chain: Certificate[], from: Date, to: Date = from): Certificate | undefined {
  return chain.find((c) => from.getTime() < c.notBefore.getTime() || to.getTime() > c.notAfter.getTime());
}

/** The revocation mechanisms a certificate names (OCSP responders, CRL distribution points). */
export function revocationEndpoints(cert: Certificate): string[] {
  const found: string[] = [];
  if (cert.node.infoAccess && /OCSP - URI:/.test(cert.node.infoAccess)) found.push('OCSP');
  if (cert.hasCrlDistributionPoints) found.push('CRL');
  return found;
}
