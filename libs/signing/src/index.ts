// Signature formats for plugins: cosign (keys, simple signing, Sigstore bundles, DSSE / in-toto
// attestations) and the Notary Project (JWS and COSE envelopes, X.509 trust stores and policies).
// Pure formats and cryptography: no registry or network access here (the registry client is in
// @bulkhead/oci).
export * from './cosign';
export * from './notation';
