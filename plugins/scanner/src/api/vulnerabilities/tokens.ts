/** Nest token of the advisory lookup (PostgresAdvisoryStore over the plugin database) the vulnerability queries read. */
export const ADVISORY_LOOKUP = Symbol.for('bulkhead.scanner.advisory-lookup');
