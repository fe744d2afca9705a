import { objectRef, type ManifestObject } from '../k8s/load';
import { podTemplateOf, type PodTemplate } from '../k8s/workloads';
import type { BenchmarkCheckResult } from '../report/model';
import { evaluatePod, type PssEvaluation } from './evaluator';
import { pssViolationPath } from './locate';
import { PSS_CHECK_TITLES } from './titles';
import type { PssLevel } from './types';

/** PSS outcome of one workload (its pod template) from a manifest. */
export interface PssWorkloadResult {
  kind: string;
  namespace: string;
  name: string;
  file: string;
  line: number;
  pss: PssEvaluation;
}

// The pod template each result was evaluated from, to locate violations (kept off the result,
// which tasks return as is).
const templates = new WeakMap<PssWorkloadResult, PodTemplate>();

/** Evaluates every workload that has a pod template; callers pass only workload objects. */
export function evaluateWorkloads(workloads: readonly ManifestObject[], level: PssLevel, version: string): PssWorkloadResult[] {
  const out: PssWorkloadResult[] = [];
  for (const o of workloads) {
    const template = podTemplateOf(o);
    // A workload without a pod template has nothing to admit; evaluate an empty pod like upstream would.
    const pss = evaluatePod(template?.metadata ?? {}, template?.spec ?? {}, level, version);
    const result = { kind: o.kind, namespace: o.namespace, name: o.name, file: o.file, line: o.line, pss };
    if (template) templates.set(result, template);
    out.push(result);
  }
  return out;
}

/** Normalised results: one FAIL per violated check, or one PASS for an allowed workload. */
export function pssCheckResults(results: readonly PssWorkloadResult[]): BenchmarkCheckResult[] {
  const out: BenchmarkCheckResult[] = [];
  for (const r of results) {
    const benchmark = `pss-${r.pss.level}`;
    const common = { target: objectRef(r), file: r.file, line: r.line, benchmark };
    if (r.pss.allowed) {
      out.push({
        ...common,
        checkId: benchmark,
        title: `Pod Security Standards ${r.pss.level}`,
        status: 'PASS',
        severity: 'INFO',
        message: `allowed by PodSecurity "${r.pss.level}:${r.pss.version}"`,
      });
      continue;
    }
    const template = templates.get(r);
    for (const v of r.pss.violations) {
      const path = template ? pssViolationPath(r.kind, template, v.check) : undefined;
      out.push({
        ...common,
        ...(path ? { path } : {}),
        checkId: v.check,
        title: PSS_CHECK_TITLES[v.check] ?? v.check,
        status: 'FAIL',
        // Baseline violations are known privilege escalations; restricted ones are hardening gaps.
        severity: r.pss.level === 'baseline' || isBaselineCheck(v.check) ? 'HIGH' : 'MEDIUM',
        message: v.detail ? `${v.reason} (${v.detail})` : v.reason,
        remediation: `change the pod template so that it meets the ${r.pss.level} Pod Security Standard (${v.reason})`,
        data: { reason: v.reason, detail: v.detail, level: r.pss.level, version: r.pss.version },
      });
    }
  }
  return out;
}

const RESTRICTED_ONLY = new Set([
  'allowPrivilegeEscalation', 'capabilities_restricted', 'procMount_restricted', 'restrictedVolumes', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted',
]);

function isBaselineCheck(id: string): boolean {
  return !RESTRICTED_ONLY.has(id);
}
