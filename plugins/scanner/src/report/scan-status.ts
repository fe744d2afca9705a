/*
 * What a scan checked, as the scan-image task returns it and every report format states it. A
 * scan that could not check vulnerabilities must never read like a clean result, so the report
 * carries the reason next to the (empty) findings.
 */

export const SCANNERS = ['vuln', 'secret'] as const;
export type ScannerName = (typeof SCANNERS)[number];

export type VulnerabilityScanStatus =
  | {
      status: 'checked';
      /** Where the advisories came from: the embedded database file, or `postgres`. */
      database: string;
      advisories: number;
      /** Most recent import or update of any source (RFC 3339), when known. */
      updatedAt?: string;
      /** Packages looked up, and packages no advisory source covers (unknown OS, unsupported type). */
      packagesChecked: number;
      packagesNotCovered: number;
    }
  | {
      status: 'no-advisory-data';
      database: string;
      message: string;
    }
  | { status: 'not-requested' };

export type SecretScanStatus = { status: 'checked' } | { status: 'not-requested' } | { status: 'not-applicable'; message: string };

export function describeSecretScan(status: SecretScanStatus): string {
  switch (status.status) {
    case 'checked':
      return 'checked';
    case 'not-requested':
      return 'not checked: not requested (--scanners)';
    case 'not-applicable':
      return `not checked: ${status.message}`;
  }
}

/** The one line every format uses for a vulnerability check that did not happen (or did). */
export function describeVulnerabilityScan(status: VulnerabilityScanStatus): string {
  switch (status.status) {
    case 'checked':
      return `checked against ${status.advisories} advisories (${status.database}${status.updatedAt ? `, updated ${status.updatedAt}` : ''})`;
    case 'no-advisory-data':
      return `not checked: ${status.message}`;
    case 'not-requested':
      return 'not checked: not requested (--scanners)';
  }
}

/** The message of a missing or empty advisory database, with what to run. */
export function noAdvisoryDataMessage(database: string): string {
  return `no advisory database at ${database} — run \`bulkhead db import\` or \`bulkhead db update\``;
}
