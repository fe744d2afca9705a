// cosign formats and cryptography: keys in cosign's format, legacy simple signing and its
// signatures image, DSSE / in-toto attestations, Sigstore bundles v0.3. Pure functions over
// bytes: the registry client (in @bulkhead/oci) pushes and fetches what these build and read.
export * from './errors';
export { LIMITS, decodeBase64, parseJson } from './bounded';
export * from './pem';
export * from './encrypted';
export * from './keys';
export * from './go-json';
export * from './simple-signing';
export * from './oci';
export * from './signature-image';
export * from './dsse';
export * from './in-toto';
export * from './attestation';
export * from './bundle';
export * from './referrer';
export * from './tlog';
export * from './signer';
export * from './rekor';
