/** Nest token of the Harbor adapter's validated configuration (HarborApiConfig). */
export const HARBOR_CONFIG = Symbol.for('bulkhead.scanner.harbor-config');
/** Nest token of the advisory store the adapter reads (records for report items, status for /metadata). */
export const HARBOR_ADVISORY_STORE = Symbol.for('bulkhead.scanner.harbor-advisory-store');
