import type { Severity } from '@bulkhead/plugin-sdk';
import type { BenchmarkCheckResult, BenchmarkStatus } from '../report/model';
import { objectRef, type ManifestObject } from './load';

/** What a manifest check declares about itself (its row in the checks table). */
export interface ObjectCheck {
  id: string;
  title: string;
  severity: Severity;
  remediation: string;
  /** The report section, e.g. `k8s-rbac`, `k8s-workload`. */
  benchmark: string;
}

/**
 * The result of one check on one manifest object: the object's file and line (the location
 * resolver moves a failing result to the line of `path`), the check's severity when it fails
 * (INFO when it passes) and its remediation only when there is something to fix.
 */
export function objectCheckResult(
  check: ObjectCheck,
  o: ManifestObject,
  status: BenchmarkStatus,
  message: string,
  extra: { path?: string | undefined; data?: Record<string, unknown> | undefined } = {},
): BenchmarkCheckResult {
  return {
    checkId: check.id,
    title: check.title,
    status,
    severity: status === 'PASS' ? 'INFO' : check.severity,
    target: objectRef(o),
    message,
    ...(status === 'PASS' ? {} : { remediation: check.remediation }),
    file: o.file,
    line: o.line,
    ...(extra.path ? { path: extra.path } : {}),
    benchmark: check.benchmark,
    ...(extra.data ? { data: extra.data } : {}),
  };
}
