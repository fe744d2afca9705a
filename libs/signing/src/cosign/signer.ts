import { KeyObject } from 'node:crypto';
import { dsseBundleOf, messageSignatureBundleOf, SigstoreBundle } from './bundle';
import { DsseEnvelope, preAuthEncoding } from './dsse';
import { SigningFormatError } from './errors';
import { IN_TOTO_PAYLOAD_TYPE, InTotoStatement, statementBytes } from './in-toto';
import { signBytes, verifyBytes } from './keys';

/**
 * Something that signs without handing out its private key: a key provider, a KMS, an HSM. It
 * signs bytes the way signBytes does (ECDSA over the curve's hash, DER; RSA PKCS#1 v1.5 SHA-256;
 * Ed25519). The `...With` functions below are the async twins of the KeyObject ones.
 */
export interface PayloadSigner {
  readonly publicKey: KeyObject;
  sign(data: Buffer): Promise<Buffer>;
}

/** A PayloadSigner over a private key in this process. */
export function keyObjectSigner(privateKey: KeyObject, publicKey: KeyObject): PayloadSigner {
  return { publicKey, sign: async (data) => signBytes(privateKey, data) };
}

/**
 * Signs through `signer` and checks the result against its public key before anything is
 * published: a provider that answers with the wrong key or a broken signature is caught here,
 * not by every verifier later.
 */
export async function signChecked(signer: PayloadSigner, data: Buffer): Promise<Buffer> {
  const signature = await signer.sign(data);
  if (!verifyBytes(signer.publicKey, data, signature)) throw new SigningFormatError('the signer returned a signature that does not verify with its public key');
  return signature;
}

/** signPayload through a signer: the base64 simple-signing signature. */
export async function signPayloadWith(signer: PayloadSigner, payload: Uint8Array): Promise<string> {
  return (await signChecked(signer, Buffer.from(payload))).toString('base64');
}

/** signDsse through a signer. */
export async function signDsseWith(signer: PayloadSigner, payloadType: string, payload: Uint8Array, keyid = ''): Promise<DsseEnvelope> {
  const sig = (await signChecked(signer, preAuthEncoding(payloadType, payload))).toString('base64');
  return { payloadType, payload: Buffer.from(payload).toString('base64'), signatures: [{ keyid, sig }] };
}

/** signStatement through a signer (a legacy `.att` envelope). */
export function signStatementWith(signer: PayloadSigner, statement: InTotoStatement): Promise<DsseEnvelope> {
  return signDsseWith(signer, IN_TOTO_PAYLOAD_TYPE, statementBytes(statement));
}

/** buildDsseBundle through a signer. */
export async function buildDsseBundleWith(signer: PayloadSigner, payload: Uint8Array, payloadType: string = IN_TOTO_PAYLOAD_TYPE): Promise<SigstoreBundle> {
  return dsseBundleOf(signer.publicKey, await signDsseWith(signer, payloadType, payload));
}

/** buildMessageSignatureBundle through a signer. */
export async function buildMessageSignatureBundleWith(signer: PayloadSigner, artifact: Uint8Array): Promise<SigstoreBundle> {
  return messageSignatureBundleOf(signer.publicKey, artifact, await signChecked(signer, Buffer.from(artifact)));
}
