import { KeyObject, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseCertificate, type Certificate } from '../x509';

// A certificate authority made in the test process (pkijs over node's WebCrypto): no files, no
// openssl binary, and every field a test needs to break on purpose.

pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] }));
const subtle = webcrypto.subtle;

export type TestKeyType = 'P-256' | 'P-384' | 'P-521' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'RSA-1024';

export interface TestKey {
  type: TestKeyType;
  privateKey: KeyObject;
  /** WebCrypto form, for signing certificates with pkijs. */
  webPrivate: webcrypto.CryptoKey;
  webPublic: webcrypto.CryptoKey;
}

export async function generateTestKey(type: TestKeyType): Promise<TestKey> {
  const params = type.startsWith('P-')
    ? { name: 'ECDSA', namedCurve: type }
    : { name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(type.slice(4)), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const pair = (await subtle.generateKey(params, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  return { type, privateKey: KeyObject.from(pair.privateKey), webPrivate: pair.privateKey, webPublic: pair.publicKey };
}

export interface TestCertificateOptions {
  subject: Record<string, string>;
  key: TestKey;
  /** Issuer certificate and its key; omitted: self-signed. */
  issuer?: { certificate: Certificate; key: TestKey };
  ca?: boolean;
  pathLen?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** Key usage bit names; defaults: CA keyCertSign, leaf digitalSignature. */
  keyUsage?: string[];
  keyUsageCritical?: boolean;
  /** Extended key usage OIDs; default: none for a CA, codeSigning for a leaf. */
  extendedKeyUsage?: string[] | null;
  /** Adds a CRL distribution point (so the certificate is revocable). */
  crlUrl?: string;
  /** Signature hash of the issuer: SHA-1 to test the ban on it. */
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
}

const OIDS: Record<string, string> = { C: '2.5.4.6', ST: '2.5.4.8', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' };
const USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];
let serial = 1;

export async function issueTestCertificate(options: TestCertificateOptions): Promise<Certificate> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: serial++ });
  const name = (attrs: Record<string, string>) =>
    Object.entries(attrs).map(
      ([type, value]) => new pkijs.AttributeTypeAndValue({ type: OIDS[type], value: type === 'C' ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value }) }),
    );
  cert.subject.typesAndValues = name(options.subject);
  cert.issuer.typesAndValues = options.issuer ? pkijs.Certificate.fromBER(options.issuer.certificate.der).subject.typesAndValues : name(options.subject);
  cert.notBefore.value = options.notBefore ?? new Date(Date.now() - 3600_000);
  cert.notAfter.value = options.notAfter ?? new Date(Date.now() + 365 * 86400_000);
  await cert.subjectPublicKeyInfo.importKey(options.key.webPublic);
  const extensions: pkijs.Extension[] = [];
  if (options.ca !== undefined || options.pathLen !== undefined) {
    extensions.push(new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: !!options.ca, ...(options.pathLen !== undefined ? { pathLenConstraint: options.pathLen } : {}) }).toSchema().toBER(false) }));
  }
  const usage = options.keyUsage ?? (options.ca ? ['keyCertSign', 'cRLSign'] : ['digitalSignature']);
  if (usage.length > 0) {
    const bits = new Uint8Array(2);
    for (const u of usage) {
      const i = USAGE_BITS.indexOf(u);
      bits[i >> 3] |= 0x80 >> (i & 7);
    }
    const bytes = bits[1] ? bits : bits.slice(0, 1);
    extensions.push(new pkijs.Extension({ extnID: '2.5.29.15', critical: options.keyUsageCritical ?? true, extnValue: new asn1js.BitString({ valueHex: bytes, unusedBits: 0 }).toBER(false) }));
  }
  const eku = options.extendedKeyUsage === undefined ? (options.ca ? null : ['1.3.6.1.5.5.7.3.3']) : options.extendedKeyUsage;
  if (eku) extensions.push(new pkijs.Extension({ extnID: '2.5.29.37', critical: false, extnValue: new pkijs.ExtKeyUsage({ keyPurposes: eku }).toSchema().toBER(false) }));
  if (options.crlUrl) {
    const point = new pkijs.DistributionPoint({ distributionPoint: [new pkijs.GeneralName({ type: 6, value: options.crlUrl })] });
    extensions.push(new pkijs.Extension({ extnID: '2.5.29.31', critical: false, extnValue: new pkijs.CRLDistributionPoints({ distributionPoints: [point] }).toSchema().toBER(false) }));
  }
  cert.extensions = extensions;
  const signer = options.issuer?.key ?? options.key;
  await cert.sign(signer.webPrivate, options.hash ?? 'SHA-256');
  return parseCertificate(new Uint8Array(cert.toSchema().toBER(false)));
}

export interface TestPki {
  root: Certificate;
  rootKey: TestKey;
  intermediate: Certificate;
  intermediateKey: TestKey;
  leaf: Certificate;
  leafKey: TestKey;
  /** leaf, intermediate, root */
  chain: Certificate[];
}

export const TEST_LEAF_SUBJECT = { C: 'US', ST: 'WA', L: 'Seattle', O: 'Bulkhead Test', CN: 'bulkhead-signer' };

/** Root CA → intermediate CA → code-signing leaf, the leaf key of the given type. */
export async function makeTestPki(leafType: TestKeyType = 'P-256', leafOptions: Partial<TestCertificateOptions> = {}): Promise<TestPki> {
  const rootKey = await generateTestKey('P-384');
  // The CAs are valid from 30 days ago, so a test can make a leaf that lived and expired in the past.
  const caNotBefore = new Date(Date.now() - 30 * 86400_000);
  const root = await issueTestCertificate({ subject: { C: 'US', ST: 'WA', O: 'Bulkhead Test', CN: 'Bulkhead Test Root' }, key: rootKey, ca: true, pathLen: 1, hash: 'SHA-384', notBefore: caNotBefore });
  const intermediateKey = await generateTestKey('P-256');
  const intermediate = await issueTestCertificate({ subject: { C: 'US', ST: 'WA', O: 'Bulkhead Test', CN: 'Bulkhead Test Intermediate' }, key: intermediateKey, issuer: { certificate: root, key: rootKey }, ca: true, pathLen: 0, hash: 'SHA-384', notBefore: caNotBefore });
  const leafKey = await generateTestKey(leafType);
  const leaf = await issueTestCertificate({ subject: TEST_LEAF_SUBJECT, key: leafKey, issuer: { certificate: intermediate, key: intermediateKey }, ...leafOptions });
  return { root, rootKey, intermediate, intermediateKey, leaf, leafKey, chain: [leaf, intermediate, root] };
}
