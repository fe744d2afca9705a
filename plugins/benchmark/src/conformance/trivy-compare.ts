import path from 'node:path';
import type { ManifestObject } from '../k8s/load';
import { obj } from '../k8s/objects';
import { podTemplateOf } from '../k8s/workloads';
import { CHECK_REFERENCES } from '../report/references';
import type { BenchmarkCheckResult } from '../report/model';

/**
 * Side-by-side comparison of `trivy config` with Bulkhead over one corpus: every Trivy KSV/DS
 * check that fires must have a Bulkhead finding on the same file and object, unless it is in the
 * argued list (a Trivy finding that contradicts an upstream rule). Used by the Trivy conformance
 * test; the mapping Trivy id → Bulkhead check ids is data (the cross-references of every check,
 * src/report/references.ts), and so is the argued list (test-corpus/trivy-argued.json).
 */

/** One failed Trivy check on one file (and, where Trivy says or its line shows, one object). */
export interface TrivyFailure {
  id: string;
  /** Path relative to the scanned root, `/`-separated. */
  file: string;
  /** `Kind/name`, lower-case kind, when known. */
  object?: string;
  line?: number;
  message: string;
}

interface TrivyMisconfiguration {
  ID?: string;
  AVDID?: string;
  Status?: string;
  Message?: string;
  CauseMetadata?: { StartLine?: number };
}

/** The FAIL misconfigurations of a `trivy config --format json` report (KSV, DS and AVD-KSV ids). */
export function trivyFailures(report: unknown): Omit<TrivyFailure, 'object'>[] {
  const results = (obj(report)?.['Results'] ?? []) as { Target?: string; Misconfigurations?: TrivyMisconfiguration[] | null }[];
  const out: Omit<TrivyFailure, 'object'>[] = [];
  for (const r of Array.isArray(results) ? results : []) {
    for (const m of r.Misconfigurations ?? []) {
      if (m.Status !== 'FAIL' || !m.ID || !/^(KSV|DS|AVD-KSV-)\d+$/.test(m.ID)) continue;
      const line = m.CauseMetadata?.StartLine;
      out.push({ id: m.ID, file: String(r.Target ?? '').split(path.sep).join('/'), ...(line ? { line } : {}), message: m.Message ?? '' });
    }
  }
  return out;
}

/** `Kind/name` (lower-case kind) of the object a Trivy message names, if it names one. */
export function objectInMessage(message: string): string | undefined {
  const of = /\bof (\w+) '([^']+)'/.exec(message) ?? /^(\w+) '([^']+)'/.exec(message);
  if (of) return `${(of[1] ?? '').toLowerCase()}/${of[2] ?? ''}`;
  const inNs = /^(?:container \S+ of )?(\w+) (\S+) in \S+ namespace/i.exec(message);
  if (inNs) return `${(inNs[1] ?? '').toLowerCase()}/${inNs[2] ?? ''}`;
  return undefined;
}

/** `Kind/name` (lower-case kind) of a Bulkhead target or manifest object. */
export function objectKey(o: Pick<ManifestObject, 'kind' | 'name'>): string {
  return `${o.kind.toLowerCase()}/${o.name}`;
}

/**
 * Gives each Trivy failure its object: the one its message names, else the one whose document
 * holds its line, else the only object of its file.
 */
export function attachObjects(failures: readonly Omit<TrivyFailure, 'object'>[], objects: readonly ManifestObject[], root: string): TrivyFailure[] {
  const byFile = new Map<string, ManifestObject[]>();
  for (const o of objects) {
    const rel = path.relative(root, o.file).split(path.sep).join('/');
    byFile.set(rel, [...(byFile.get(rel) ?? []), o]);
  }
  return failures.map((f) => {
    const inFile = (byFile.get(f.file) ?? []).sort((a, b) => a.line - b.line);
    if (inFile.length === 0) return { ...f }; // a Dockerfile: the file is the object
    let object = objectInMessage(f.message);
    const line = f.line;
    if (!object && line !== undefined) {
      const at = inFile.filter((o) => o.line <= line).pop();
      if (at) object = objectKey(at);
    }
    if (!object && inFile.length === 1 && inFile[0]) object = objectKey(inFile[0]);
    return object ? { ...f, object } : { ...f };
  });
}

/**
 * Trivy id (and AVD id) → the Bulkhead check ids that are its equivalents: the cross-references
 * of every check, plus `extra` (test-corpus/trivy-map-extra.json).
 */
export function trivyMapping(extra: Readonly<Record<string, unknown>> = {}): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const add = (id: string, checkId: string): void => {
    const list = map.get(id) ?? [];
    if (!list.includes(checkId)) map.set(id, [...list, checkId]);
  };
  for (const [checkId, refs] of Object.entries(CHECK_REFERENCES)) {
    for (const id of [...(refs.trivy ?? []), ...(refs.avd ?? [])]) add(id, checkId);
  }
  for (const [id, checkIds] of Object.entries(extra)) if (Array.isArray(checkIds)) for (const c of checkIds) if (typeof c === 'string') add(id, c);
  return map;
}

/** One entry of the argued list: a Trivy check that is wrong under a stated condition. */
export interface ArguedRule {
  trivy: string;
  /** Which condition makes it wrong (see ARGUED_CONDITIONS). */
  when: keyof typeof ARGUED_CONDITIONS;
  reason: string;
  /** The upstream rule Trivy contradicts. */
  contradicts: string;
}

export interface ArguedContext {
  object?: ManifestObject;
  /** Path relative to the root. */
  file: string;
  trivyId: string;
  mapping: Map<string, string[]>;
}

const PSS_IDS = new Set(['privileged', 'hostNamespaces', 'hostPathVolumes', 'hostPorts', 'capabilities_baseline', 'capabilities_restricted', 'allowPrivilegeEscalation',
  'runAsNonRoot', 'runAsUser', 'seccompProfile_baseline', 'seccompProfile_restricted', 'appArmorProfile', 'seLinuxOptions', 'procMount', 'sysctls', 'restrictedVolumes', 'windowsHostProcess']);
const RESTRICTED_ONLY = new Set(['allowPrivilegeEscalation', 'capabilities_restricted', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted', 'restrictedVolumes']);

function podSecurityContext(o: ManifestObject | undefined): Record<string, unknown> | undefined {
  const template = o && podTemplateOf(o);
  return template ? obj(template.spec['securityContext']) : undefined;
}

const above10000 = (v: unknown): boolean => typeof v === 'number' && v > 10000;

/** Conditions under which a Trivy finding contradicts an upstream rule. */
export const ARGUED_CONDITIONS = {
  /** The object has no pod (a Service, a Role): a pod security check cannot apply. */
  'not-a-workload': (c: ArguedContext) => c.object !== undefined && podTemplateOf(c.object) === undefined,
  /** The pod sets runAsUser > 10000 for every container (PodSecurityContext). */
  'pod-runAsUser-above-10000': (c: ArguedContext) => above10000(podSecurityContext(c.object)?.['runAsUser']),
  /** The pod sets runAsGroup > 10000 for every container. */
  'pod-runAsGroup-above-10000': (c: ArguedContext) => above10000(podSecurityContext(c.object)?.['runAsGroup']),
  /** The pod sets a RuntimeDefault or Localhost seccomp profile for every container. */
  'pod-seccomp-set': (c: ArguedContext) => ['RuntimeDefault', 'Localhost'].includes(String(obj(podSecurityContext(c.object)?.['seccompProfile'])?.['type'])),
  /** A Windows pod (spec.os.name: windows): Linux-only securityContext fields do not apply. */
  'windows-pod': (c: ArguedContext) => {
    const template = c.object && podTemplateOf(c.object);
    return obj(template?.spec['os'])?.['name'] === 'windows';
  },
  /** The pod runs in a user namespace (spec.hostUsers: false): root in the container is not root on the node. */
  'pod-user-namespace': (c: ArguedContext) => {
    const template = c.object && podTemplateOf(c.object);
    return template?.spec['hostUsers'] === false;
  },
  /** The pod sets a non-zero runAsGroup for every container, and no group 0 is set anywhere. */
  'pod-runAsGroup-nonzero': (c: ArguedContext) => {
    const group = podSecurityContext(c.object)?.['runAsGroup'];
    return typeof group === 'number' && group > 0 && !/"(runAsGroup|fsGroup)":0\b|"supplementalGroups":\[(?:[^\]]*,)?0[,\]]/.test(JSON.stringify(c.object?.object ?? {}));
  },
  /**
   * A PSA "pass" fixture: pod-security-admission admits the pod at the fixture's level and
   * version, so a Trivy check equivalent to a PSS control of that level is wrong on it.
   */
  'psa-admits': (c: ArguedContext) => {
    const m = /(?:^|\/)(baseline|restricted)\/v1\.\d+\/pass\//.exec(c.file);
    if (!m) return false;
    const pssIds = (c.mapping.get(c.trivyId) ?? []).filter((id) => PSS_IDS.has(id));
    return pssIds.length > 0 && pssIds.every((id) => m[1] === 'restricted' || !RESTRICTED_ONLY.has(id));
  },
} as const;

export interface ComparisonRow {
  failure: TrivyFailure;
  outcome: 'matched' | 'argued' | 'unmatched';
  /** For matched: the Bulkhead check; for argued: the argued rule's reason. */
  by?: string;
}

export interface Comparison {
  rows: ComparisonRow[];
  raised: number;
  matched: number;
  /** Of `matched`: those where Bulkhead's result is INFO, not FAIL/WARN. */
  matchedInfo: number;
  argued: number;
  unmatched: ComparisonRow[];
  /** Distinct Trivy check ids that fired, and of those how many have every finding matched or argued. */
  ids: { raised: number; covered: number };
}

/**
 * Compares Trivy's failures with Bulkhead's results (FAIL/WARN) on the same corpus. A failure is
 * matched when a Bulkhead result (FAIL, WARN or INFO) of an equivalent check is on the same file
 * and object (on the same file, for Dockerfiles and failures whose object is unknown).
 */
export function compareWithTrivy(
  failures: readonly TrivyFailure[],
  results: readonly BenchmarkCheckResult[],
  objects: readonly ManifestObject[],
  root: string,
  argued: readonly ArguedRule[],
  extraMapping: Readonly<Record<string, unknown>> = {},
): Comparison {
  const mapping = trivyMapping(extraMapping);
  const rel = (file: string): string => path.relative(root, file).split(path.sep).join('/');
  const found = new Set<string>();
  // INFO counts too (hadolint's info-level rules such as DL3015 report INFO): such matches are
  // counted apart, in `matchedInfo`.
  const infoOnly = new Set<string>();
  for (const r of results) {
    if ((r.status !== 'FAIL' && r.status !== 'WARN' && r.status !== 'INFO') || !r.file) continue;
    const parts = r.target.split('/');
    const object = parts.length >= 2 ? `${(parts[0] ?? '').toLowerCase()}/${parts[parts.length - 1] ?? ''}` : '';
    for (const key of [`${r.checkId}\0${rel(r.file)}\0${object}`, `${r.checkId}\0${rel(r.file)}\0*`]) {
      if (r.status === 'INFO') {
        if (!found.has(key)) infoOnly.add(key);
      } else infoOnly.delete(key);
      found.add(key);
    }
  }
  const objectsByKey = new Map<string, ManifestObject>();
  for (const o of objects) objectsByKey.set(`${rel(o.file)}\0${objectKey(o)}`, o);

  const rows: ComparisonRow[] = failures.map((failure) => {
    const checks = mapping.get(failure.id) ?? [];
    const keyOf = (c: string): string => `${c}\0${failure.file}\0${failure.object ?? '*'}`;
    const hit = checks.find((c) => found.has(keyOf(c)) && !infoOnly.has(keyOf(c))) ?? checks.find((c) => found.has(keyOf(c)));
    if (hit) return { failure, outcome: 'matched', by: infoOnly.has(keyOf(hit)) ? `${hit} (INFO)` : hit };
    const context: ArguedContext = { file: failure.file, trivyId: failure.id, mapping, ...(failure.object ? { object: objectsByKey.get(`${failure.file}\0${failure.object}`) } : {}) };
    const rule = argued.find((a) => a.trivy === failure.id && ARGUED_CONDITIONS[a.when]?.(context));
    if (rule) return { failure, outcome: 'argued', by: rule.reason };
    return { failure, outcome: 'unmatched' };
  });
  const byId = new Map<string, boolean>();
  for (const r of rows) byId.set(r.failure.id, (byId.get(r.failure.id) ?? true) && r.outcome !== 'unmatched');
  return {
    rows,
    raised: rows.length,
    matched: rows.filter((r) => r.outcome === 'matched').length,
    matchedInfo: rows.filter((r) => r.outcome === 'matched' && r.by?.endsWith('(INFO)')).length,
    argued: rows.filter((r) => r.outcome === 'argued').length,
    unmatched: rows.filter((r) => r.outcome === 'unmatched'),
    ids: { raised: byId.size, covered: [...byId.values()].filter(Boolean).length },
  };
}

