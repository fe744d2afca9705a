import type { Severity } from '@bulkhead/plugin-sdk';
import type { BenchmarkCheckResult, BenchmarkStatus } from '../report';

/**
 * Dockle's checkpoints (CIS Docker Benchmark image section, CIS-DI-*, plus Dockle's own DKL-*),
 * with Dockle's titles and default levels, so results read the same as Dockle's.
 */
export const DOCKLE_CHECKPOINTS = {
  'CIS-DI-0001': { title: 'Create a user for the container', level: 'WARN' },
  'CIS-DI-0005': { title: 'Enable Content trust for Docker', level: 'INFO' },
  'CIS-DI-0006': { title: 'Add HEALTHCHECK instruction to the container image', level: 'INFO' },
  'CIS-DI-0007': { title: 'Do not use update instructions alone in the Dockerfile', level: 'FATAL' },
  'CIS-DI-0008': { title: 'Confirm safety of setuid/setgid files', level: 'INFO' },
  'CIS-DI-0009': { title: 'Use COPY instead of ADD in Dockerfile', level: 'FATAL' },
  'CIS-DI-0010': { title: 'Do not store credential in environment variables/files', level: 'FATAL' },
  'DKL-DI-0001': { title: 'Avoid sudo command', level: 'FATAL' },
  'DKL-DI-0002': { title: 'Avoid sensitive directory mounting', level: 'FATAL' },
  'DKL-DI-0003': { title: 'Avoid "apt-get dist-upgrade"', level: 'WARN' },
  'DKL-DI-0004': { title: 'Use "apk add" with --no-cache', level: 'FATAL' },
  'DKL-DI-0005': { title: 'Clear apt-get caches', level: 'FATAL' },
  'DKL-DI-0006': { title: 'Avoid latest tag', level: 'WARN' },
  'DKL-LI-0001': { title: 'Avoid empty password', level: 'FATAL' },
  'DKL-LI-0002': { title: 'Be unique UID/GROUP', level: 'FATAL' },
  'DKL-LI-0003': { title: 'Only put necessary files', level: 'INFO' },
} as const satisfies Record<string, { title: string; level: DockleLevel }>;

export type DockleCode = keyof typeof DOCKLE_CHECKPOINTS;
/** Dockle's levels; SKIP means the check could not run (e.g. no /etc/passwd in the image). */
export type DockleLevel = 'FATAL' | 'WARN' | 'INFO' | 'SKIP';

/** One problem found, as Dockle reports it: code, where (file or `metadata`) and a description. */
export interface Assessment {
  code: DockleCode;
  /** Defaults to the checkpoint's level. */
  level?: DockleLevel;
  /** A file in the image, `metadata` for the image config, or the reference for tags. */
  filename: string;
  desc: string;
}

const STATUS: Record<DockleLevel, BenchmarkStatus> = { FATAL: 'FAIL', WARN: 'WARN', INFO: 'INFO', SKIP: 'SKIP' };
const SEVERITY: Record<DockleLevel, Severity> = { FATAL: 'HIGH', WARN: 'MEDIUM', INFO: 'LOW', SKIP: 'INFO' };

/**
 * Turns assessments into normalised results: one result per assessment, and one PASS per checked
 * code that found nothing (so a report shows what was checked, not only what failed).
 */
export function assessmentsToResults(assessments: readonly Assessment[], checked: readonly DockleCode[], target: string): BenchmarkCheckResult[] {
  const results: BenchmarkCheckResult[] = assessments.map((a) => {
    const level = a.level ?? DOCKLE_CHECKPOINTS[a.code].level;
    return {
      checkId: a.code,
      title: DOCKLE_CHECKPOINTS[a.code].title,
      status: STATUS[level],
      severity: SEVERITY[level],
      target,
      message: a.desc,
      benchmark: 'cis-docker-image',
      ...(a.filename ? { data: { filename: a.filename, level } } : { data: { level } }),
    };
  });
  const seen = new Set(assessments.map((a) => a.code));
  for (const code of checked) {
    if (seen.has(code)) continue;
    results.push({ checkId: code, title: DOCKLE_CHECKPOINTS[code].title, status: 'PASS', severity: 'INFO', target, message: 'no problem found', benchmark: 'cis-docker-image' });
  }
  return results;
}
