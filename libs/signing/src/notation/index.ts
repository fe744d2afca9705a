// The Notary Project (notation) for plugins: JWS and COSE signature envelopes, X.509 chains,
// notation's trust store and trust policy, RFC 3161 timestamps, the signature manifest. Pure
// formats and cryptography: fetching and pushing are the caller's (registry client in @bulkhead/oci).
export { NotationError, type NotationErrorCode } from './errors';
export * as notationLimits from './limits';
export { type NotationAlgorithm, algorithmForKey, algorithmForCertificate } from './algorithms';
// Generic names get a Notation/X509 prefix here: libs/signing's barrel also exports cosign's.
export { type Descriptor as NotationDescriptor, NOTATION_PAYLOAD_MEDIA_TYPE, buildPayload as buildNotationPayload, parsePayload as parseNotationPayload } from './payload';
export {
  JWS_MEDIA_TYPE,
  COSE_MEDIA_TYPE,
  type EnvelopeMediaType,
  type EnvelopeFormat,
  type EnvelopeContent,
  type SignedAttributes,
  type SigningScheme,
  type ExtendedAttribute,
} from './envelope-model';
export { parseEnvelope, verifyEnvelopeIntegrity, type IntegrityOptions } from './envelope';
export { buildJwsProtectedHeader } from './jws';
export { buildCoseProtectedHeader } from './cose';
export { signNotation, type SignNotationOptions, type SignedEnvelope, type Timestamper } from './sign';
export {
  type Certificate as NotationCertificate,
  type DistinguishedName as X509DistinguishedName,
  parseCertificate as parseX509Certificate,
  parseCertificateFile as parseX509CertificateFile,
  validateCertificateChain as validateNotationCertificateChain,
  toPem as x509ToPem,
} from './x509';
export { type TrustStore, type TrustStoreType, FileTrustStore, MemoryTrustStore } from './trust-store';
export {
  type TrustPolicy,
  type TrustPolicyDocument,
  type VerificationLevel,
  type ValidationType,
  type ValidationAction,
  parseTrustPolicy,
  selectTrustPolicy,
  repositoryOf,
} from './trust-policy';
export { verifyTimestampToken, type VerifiedTimestamp } from './timestamp';
export { verifyNotationSignature, type VerifyNotationOptions, type NotationVerification, type CheckResult, type CheckOutcome } from './verify';
export { verifySignatureManifest, type VerifySignatureManifestOptions, type SignatureManifestVerification } from './verify-manifest';
export {
  NOTARY_SIGNATURE_ARTIFACT_TYPE,
  THUMBPRINT_ANNOTATION,
  buildSignatureManifest,
  parseSignatureManifest,
  thumbprintsMatch,
  type SignatureManifest,
  type ParsedSignatureManifest,
  type BuildSignatureManifestOptions,
} from './signature-manifest';
