/** The signer plugin's validated configuration in the API process (SignerApiConfig). */
export const SIGNER_API_CONFIG = Symbol('bulkhead.signer.config');
