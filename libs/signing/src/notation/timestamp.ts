import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { NotationError } from './errors';
import { MAX_CHAIN_LENGTH, MAX_TIMESTAMP_BYTES } from './limits';
import { certificateInvalidAt, isSelfSigned, issuedBy, parseCertificate, validateCertificateChain, type Certificate } from './x509';

// RFC 3161 timestamp countersignatures, as the Notary Project uses them: a TimeStampToken (CMS
// SignedData over a TSTInfo) whose message imprint is the hash of the envelope's signature value.

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** RFC 3628 baseline time-stamp policy: accuracy of 1 s when the token states none. */
  baselinePolicy: '0.4.0.2023.1.1',
};
const HASHES: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1',
};

let engineReady = false;
function ensureEngine(): void {
  // pkijs looks for a WebCrypto; name node's explicitly instead of relying on a global.
  if (engineReady) return;
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] }));
  engineReady = true;
}

export interface VerifiedTimestamp {
  genTime: Date;
  /** genTime minus and plus the accuracy: the time range RFC 3161 section 2.4.2 vouches for. */
  lowerLimit: Date;
  upperLimit: Date;
  /** TSA signing certificate first, root last. */
  chain: Certificate[];
  hashAlgorithm: string;
}

/**
 * Verifies a TimeStampToken over `signature`: the CMS signature with the TSA certificate, the
 * signing-certificate(-v2) attribute binding that certificate, the message imprint, the TSA
 * certificate requirements (timeStamping EKU), and a chain to a certificate of the tsa trust
 * stores, valid at genTime.
 */
export async function verifyTimestampToken(token: Uint8Array, signature: Uint8Array, trusted: Certificate[]): Promise<VerifiedTimestamp> {
  ensureEngine();
  if (token.length > MAX_TIMESTAMP_BYTES) throw tsError(`the token is ${token.length} bytes (at most ${MAX_TIMESTAMP_BYTES})`);
  let signedData: pkijs.SignedData;
  let tst: pkijs.TSTInfo;
  try {
    const info = pkijs.ContentInfo.fromBER(token);
    if (info.contentType !== OID.signedData) throw new Error(`content type ${info.contentType} is not SignedData`);
    signedData = new pkijs.SignedData({ schema: info.content });
    if (signedData.encapContentInfo.eContentType !== OID.tstInfo) throw new Error('the signed content is not a TSTInfo');
    const content = signedData.encapContentInfo.eContent;
    if (!content) throw new Error('the TSTInfo is missing');
    tst = pkijs.TSTInfo.fromBER(content.getValue());
  } catch (error) {
    throw tsError(`the token is not an RFC 3161 TimeStampToken: ${(error as Error).message}`);
  }
  if (signedData.signerInfos.length !== 1) throw tsError(`the token has ${signedData.signerInfos.length} signers (exactly one expected)`);

  const hashAlgorithm = HASHES[tst.messageImprint.hashAlgorithm.algorithmId];
  if (!hashAlgorithm || hashAlgorithm === 'sha1') throw tsError(`the message imprint uses ${hashAlgorithm ?? tst.messageImprint.hashAlgorithm.algorithmId}; SHA-256, SHA-384 or SHA-512 expected`);
  const expected = createHash(hashAlgorithm).update(signature).digest();
  if (Buffer.compare(expected, Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView)) !== 0) {
    throw tsError('the message imprint is not the hash of the envelope signature (the timestamp is for another signature)');
  }

  const embedded = (signedData.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (embedded.length > MAX_CHAIN_LENGTH) throw tsError(`the token carries ${embedded.length} certificates (at most ${MAX_CHAIN_LENGTH})`);
  let verified: pkijs.SignedDataVerifyResult;
  try {
    // For a TSTInfo, pkijs takes the timestamped message as `data` and checks the imprint again.
    const data = new Uint8Array(signature).slice().buffer;
    verified = await signedData.verify({ signer: 0, checkChain: false, extendedMode: true, data });
  } catch (error) {
    const message = typeof error === 'object' && error && 'message' in error ? String((error as { message: unknown }).message) : String(error);
    throw tsError(`the token's CMS signature does not verify: ${message}`);
  }
  if (!verified.signatureVerified || !verified.signerCertificate) throw tsError("the token's CMS signature does not verify");
  const signer = parseCertificate(new Uint8Array(verified.signerCertificate.toSchema().toBER()), 'the TSA certificate');
  checkSigningCertificateAttribute(signedData.signerInfos[0], signer);

  const pool = [...embedded.map((c, i) => parseCertificate(new Uint8Array(c.toSchema().toBER()), `token certificate ${i}`)), ...trusted];
  const chain = buildChain(signer, pool);
  try {
    validateCertificateChain(chain, 'timeStamping');
  } catch (error) {
    throw tsError((error as Error).message);
  }
  if (!chain.some((c) => trusted.some((t) => t.der.equals(c.der)))) throw tsError(`the TSA chain (${chain.map((c) => c.subjectText).join(' <- ')}) does not lead to a certificate of the tsa trust stores`);

  const genTime = tst.genTime;
  const accuracyMs = tst.accuracy ? (tst.accuracy.seconds ?? 0) * 1000 + (tst.accuracy.millis ?? 0) + (tst.accuracy.micros ?? 0) / 1000 : tst.policy === OID.baselinePolicy ? 1000 : 0;
  const invalid = certificateInvalidAt(chain, genTime);
  if (invalid) throw tsError(`TSA certificate ${invalid.subjectText} was not valid at the timestamp's time ${genTime.toISOString()}`);
  return {
    genTime,
    lowerLimit: new Date(genTime.getTime() - accuracyMs),
    upperLimit: new Date(genTime.getTime() + accuracyMs),
    chain,
    hashAlgorithm,
  };
}

function tsError(message: string): NotationError {
  return new NotationError('timestamp', `timestamp countersignature: ${message}`);
}

/** From the signer up through `pool` by issuer and signature, to a self-signed root. */
function buildChain(leaf: Certificate, pool: Certificate[]): Certificate[] {
  const chain = [leaf];
  let current = leaf;
  while (!isSelfSigned(current)) {
    if (chain.length >= MAX_CHAIN_LENGTH) throw tsError(`the TSA chain is longer than ${MAX_CHAIN_LENGTH}`);
    const issuer = pool.find((c) => !chain.includes(c) && issuedBy(current, c));
    if (!issuer) throw tsError(`no issuer of ${current.subjectText} in the token or the tsa trust stores`);
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

/** RFC 5035 / RFC 2634: the signed attribute naming the certificate that signed the token. */
function checkSigningCertificateAttribute(signerInfo: pkijs.SignerInfo, signer: Certificate): void {
  const attrs = signerInfo.signedAttrs?.attributes ?? [];
  const v2 = attrs.find((a) => a.type === OID.signingCertificateV2);
  const v1 = attrs.find((a) => a.type === OID.signingCertificate);
  const attr = v2 ?? v1;
  if (!attr) throw tsError('the token has no signing-certificate or signing-certificate-v2 attribute');
  const value = attr.values[0];
  const certs = value instanceof asn1js.Sequence ? value.valueBlock.value[0] : undefined;
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) throw tsError('the signing-certificate attribute is malformed');
  let hash = v2 ? 'sha256' : 'sha1';
  let certHash: asn1js.OctetString | undefined;
  for (const item of first.valueBlock.value) {
    if (item instanceof asn1js.Sequence && !certHash) {
      const oid = item.valueBlock.value[0];
      if (oid instanceof asn1js.ObjectIdentifier) {
        const name = HASHES[oid.valueBlock.toString()];
        if (!name) throw tsError(`the signing-certificate-v2 attribute uses an unknown hash ${oid.valueBlock.toString()}`);
        hash = name;
      }
    } else if (item instanceof asn1js.OctetString && !certHash) certHash = item;
  }
  if (!certHash) throw tsError('the signing-certificate attribute has no certificate hash');
  const actual = createHash(hash).update(signer.der).digest();
  if (Buffer.compare(actual, Buffer.from(certHash.valueBlock.valueHexView)) !== 0) throw tsError('the signing-certificate attribute names another certificate than the one that signed the token');
}
