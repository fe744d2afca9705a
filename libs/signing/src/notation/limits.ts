// Bounds on attacker-controlled input. An envelope arrives from a registry, so each one is
// hostile until verified: these limits keep parsing linear and memory small.

/** notation-go refuses signature envelopes over 4 MiB too; real ones are a few KiB. */
export const MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;
/** Certificates in an envelope's chain (leaf, intermediates, root). */
export const MAX_CHAIN_LENGTH = 10;
/** One DER certificate. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;
/** Nesting of JSON and CBOR values: the Notary structures are at most four deep. */
export const MAX_NESTING = 16;
/** Entries of one CBOR map or array, members of one JSON object. */
export const MAX_ITEMS = 1024;
/** A trust policy document, a signature manifest, a certificate file in a trust store. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** Certificates in one named trust store folder. */
export const MAX_STORE_CERTIFICATES = 1000;
/** An RFC 3161 timestamp token (it carries the TSA chain). */
export const MAX_TIMESTAMP_BYTES = 256 * 1024;
