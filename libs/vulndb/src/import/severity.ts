import type { Severity } from '@bulkhead/plugin-sdk';

/*
 * Source-specific severity words to Bulkhead's severities. Kept apart from the readers because
 * the OSV reader (GHSA `database_specific.severity`, Ubuntu priorities, Debian urgencies in
 * converted records) and the Debian tracker reader share them.
 */

/** GitHub advisory severity (`database_specific.severity` of GHSA records). */
export function githubSeverity(value: string): Severity | undefined {
  switch (value.toUpperCase()) {
    case 'CRITICAL':
      return 'CRITICAL';
    case 'HIGH':
      return 'HIGH';
    case 'MODERATE':
    case 'MEDIUM':
      return 'MEDIUM';
    case 'LOW':
      return 'LOW';
    default:
      return undefined;
  }
}

/**
 * Debian tracker urgency (`low`, `medium**`, `unimportant`, `not yet assigned`), as trivy-db's
 * debian source maps it: `unimportant` is LOW (Trivy shows those as LOW, not as negligible),
 * a trailing `*` / `**` (urgency guessed by the tracker) is dropped, anything else is UNKNOWN.
 */
export function debianUrgencySeverity(value: string): Severity {
  switch (value.replace(/\*+$/, '').trim().toLowerCase()) {
    case 'unimportant':
    case 'low':
      return 'LOW';
    case 'medium':
      return 'MEDIUM';
    case 'high':
      return 'HIGH';
    default:
      return 'UNKNOWN';
  }
}

/** Ubuntu CVE tracker priority (OSV severity type `Ubuntu`). */
export function ubuntuPrioritySeverity(value: string): Severity {
  switch (value.toLowerCase()) {
    case 'negligible':
    case 'low':
      return 'LOW';
    case 'medium':
      return 'MEDIUM';
    case 'high':
      return 'HIGH';
    case 'critical':
      return 'CRITICAL';
    default:
      return 'UNKNOWN';
  }
}
