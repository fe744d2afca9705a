import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Timestamper } from '../sign';
import type { Certificate } from '../x509';
import { generateTestKey, issueTestCertificate, type TestKey } from './test-pki';

// An RFC 3161 time-stamping authority in the test process: it answers a Timestamper call with a
// DER TimeStampToken, and can be told to get things wrong on purpose.

export interface TestTsaOptions {
  /** EKU of the TSA certificate; default timeStamping only. */
  extendedKeyUsage?: string[];
  tsaNotBefore?: Date;
  tsaNotAfter?: Date;
}

export interface TokenOptions {
  /** genTime; default now. */
  genTime?: Date;
  accuracySeconds?: number;
  /** Hash over which certificate the signing-certificate-v2 attribute names; default the TSA's own. */
  signingCertificate?: Certificate;
  /** Imprint over other bytes than the signature given. */
  imprintOf?: Buffer;
}

export interface TestTsa {
  root: Certificate;
  tsa: Certificate;
  tsaKey: TestKey;
  token(signature: Buffer, options?: TokenOptions): Promise<Buffer>;
  timestamper(options?: TokenOptions): Timestamper;
}

const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
let serial = 1000;

export async function makeTestTsa(options: TestTsaOptions = {}): Promise<TestTsa> {
  const rootKey = await generateTestKey('P-256');
  const root = await issueTestCertificate({ subject: { C: 'US', ST: 'WA', O: 'Bulkhead Test TSA', CN: 'Bulkhead Test TSA Root' }, key: rootKey, ca: true, notBefore: new Date(Date.now() - 30 * 86400_000) });
  const tsaKey = await generateTestKey('P-256');
  const tsa = await issueTestCertificate({
    subject: { C: 'US', ST: 'WA', O: 'Bulkhead Test TSA', CN: 'Bulkhead Test TSA' },
    key: tsaKey,
    issuer: { certificate: root, key: rootKey },
    extendedKeyUsage: options.extendedKeyUsage ?? ['1.3.6.1.5.5.7.3.8'],
    notBefore: options.tsaNotBefore ?? new Date(Date.now() - 10 * 86400_000),
    notAfter: options.tsaNotAfter,
  });
  const token = async (signature: Buffer, opts: TokenOptions = {}): Promise<Buffer> => {
    const imprint = createHash('sha256').update(opts.imprintOf ?? signature).digest();
    const tstInfo = new pkijs.TSTInfo({
      version: 1,
      policy: '1.3.6.1.4.1.99999.1',
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '2.16.840.1.101.3.4.2.1' }),
        hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
      }),
      serialNumber: new asn1js.Integer({ value: serial++ }),
      genTime: opts.genTime ?? new Date(),
      accuracy: new pkijs.Accuracy({ seconds: opts.accuracySeconds ?? 1 }),
    });
    const tstDer = new Uint8Array(tstInfo.toSchema().toBER(false));
    const tsaPk = pkijs.Certificate.fromBER(tsa.der);
    const certHash = createHash('sha256').update((opts.signingCertificate ?? tsa).der).digest();
    const signerInfo = new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: tsaPk.issuer, serialNumber: tsaPk.serialNumber }),
      signedAttrs: new pkijs.SignedAndUnsignedAttributes({
        type: 0,
        attributes: [
          new pkijs.Attribute({ type: '1.2.840.113549.1.9.3', values: [new asn1js.ObjectIdentifier({ value: OID_TST_INFO })] }),
          new pkijs.Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(tstDer).digest() })] }),
          new pkijs.Attribute({
            type: '1.2.840.113549.1.9.16.2.47',
            values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: certHash })] })] })] })],
          }),
        ],
      }),
    });
    // Set after construction: pkijs's constructor rewrites an eContent into a constructed
    // (BER) OCTET STRING, which real TSAs do not send and pkijs's own TSTInfo check cannot read.
    const encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: OID_TST_INFO });
    encapContentInfo.eContent = new asn1js.OctetString({ valueHex: tstDer });
    const signed = new pkijs.SignedData({
      version: 3,
      encapContentInfo,
      signerInfos: [signerInfo],
      certificates: [tsaPk, pkijs.Certificate.fromBER(root.der)],
    });
    await signed.sign(tsaKey.webPrivate, 0, 'SHA-256');
    const info = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signed.toSchema(true) });
    return Buffer.from(info.toSchema().toBER(false));
  };
  return { root, tsa, tsaKey, token, timestamper: (opts) => (signature) => token(signature, opts) };
}
