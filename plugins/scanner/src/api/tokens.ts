/** Nest injection token of the scanner API's validated configuration (ScannerApiConfig). */
export const SCANNER_API_CONFIG = Symbol.for('bulkhead.scanner.api-config');
