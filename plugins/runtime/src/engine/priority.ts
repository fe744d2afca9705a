import type { Severity } from '@bulkhead/plugin-sdk';

/** Falco priorities, most severe first (falco_common priority_type). */
export const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;
export type Priority = (typeof PRIORITIES)[number];

const BY_NAME: Record<string, Priority> = {
  emergency: 'Emergency',
  alert: 'Alert',
  critical: 'Critical',
  error: 'Error',
  warning: 'Warning',
  notice: 'Notice',
  informational: 'Informational',
  info: 'Informational',
  debug: 'Debug',
};

/** Parses a priority name case-insensitively (`WARNING`, `Info`, `informational`...). */
export function parsePriority(text: string): Priority | undefined {
  return BY_NAME[text.trim().toLowerCase()];
}

/** Lower is more severe. */
export function priorityRank(p: Priority): number {
  return PRIORITIES.indexOf(p);
}

export function severityOfPriority(p: Priority): Severity {
  switch (p) {
    case 'Emergency':
    case 'Alert':
    case 'Critical':
      return 'CRITICAL';
    case 'Error':
      return 'HIGH';
    case 'Warning':
      return 'MEDIUM';
    case 'Notice':
      return 'LOW';
    default:
      return 'INFO';
  }
}
