import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { RuleEngine } from '../engine/engine';
import { EventEvaluator } from '../engine/evaluator';
import { loadRules, type LoadResult } from '../engine/loader';
import { parsePriority } from '../engine/priority';
import { readInputFile } from '../events/reader';
import type { FalcoAlert } from '../alerts/alert';

/** One case of falco's legacy test/falco_k8s_audit_tests.yaml. */
export interface LegacyCase {
  name: string;
  detect: boolean;
  detectLevel?: string;
  rulesFiles: string[];
  detectCounts: Record<string, number>;
  traceFile: string;
}

export interface CaseOutcome {
  name: string;
  passed: boolean;
  problems: string[];
  alerts: FalcoAlert[];
  malformed: number;
}

/** SOURCE.md: rules renamed since the 2022 expectations were written. */
export const RENAMED_RULES: Record<string, string> = {
  'K8s Role/Clusterrole Created': 'K8s ClusterRole Created',
  'K8s Role/Clusterrole Deleted': 'K8s ClusterRole Deleted',
  'K8s Role/Clusterrolebinding Created': 'K8s ClusterRoleBinding Created',
  'K8s Role/Clusterrolebinding Deleted': 'K8s ClusterRoleBinding Deleted',
};

/**
 * The current plugin rules renamed the trusted-image lists; the legacy test rules files
 * (trust_nginx_container.yaml, engine_v4_k8s_audit_rules.yaml) use the old names, so for the
 * current rules their list names are translated, like the renamed rules (nothing else changes).
 */
export const RENAMED_LISTS: Record<string, string> = {
  falco_sensitive_mount_images: 'k8s_audit_sensitive_mount_images',
  falco_privileged_images: 'k8s_audit_privileged_images',
  falco_hostnetwork_images: 'k8s_audit_hostnetwork_images',
};

export function readLegacyCases(k8sauditDir: string): LegacyCase[] {
  const text = readFileSync(path.join(k8sauditDir, 'falco-legacy-tests', 'falco_k8s_audit_tests.yaml'), 'utf8').replace('!mux', '');
  const doc = parse(text) as { trace_files: Record<string, Record<string, unknown>> };
  return Object.entries(doc.trace_files).map(([name, c]) => ({
    name,
    detect: c['detect'] === true,
    detectLevel: c['detect_level'] as string | undefined,
    rulesFiles: c['rules_file'] as string[],
    detectCounts: Object.assign({}, ...((c['detect_counts'] as Record<string, number>[] | undefined) ?? [])),
    traceFile: c['trace_file'] as string,
  }));
}

/**
 * Maps the legacy paths (SOURCE.md): `../rules/k8s_audit_rules.yaml` is the 2022 rules file
 * (or, for `current`, today's plugin rules), `./rules/k8s_audit/X` is falco-legacy-tests/rules/X.
 * `../rules/falco_rules.yaml` (the 2022 syscall rules, not copied) is replaced by its current
 * successors: its rules never see k8s_audit events, but it defined the lists
 * `falco_privileged_images` and `falco_sensitive_mount_images` that trust_nginx_container.yaml
 * appends to (appending to an undefined list is an error in Falco), and those lists now live in
 * falco_rules.yaml and falco-sandbox_rules.yaml.
 */
export function mapRulesPath(k8sauditDir: string, legacy: string, current: boolean): string[] {
  if (legacy === '../rules/falco_rules.yaml') return [path.join(k8sauditDir, '..', 'falco_rules.yaml'), path.join(k8sauditDir, '..', 'falco-sandbox_rules.yaml')];
  if (legacy === '../rules/k8s_audit_rules.yaml') {
    return [current ? path.join(k8sauditDir, 'k8s_audit_rules.yaml') : path.join(k8sauditDir, 'falco-legacy-tests', 'k8s_audit_rules.at-65435d44.yaml')];
  }
  const m = /^\.\/rules\/k8s_audit\/(.+)$/.exec(legacy);
  if (!m) throw new Error(`unmapped rules path ${legacy}`);
  return [path.join(k8sauditDir, 'falco-legacy-tests', 'rules', m[1])];
}

const contents = new Map<string, string>();
function readCached(file: string): string {
  let c = contents.get(file);
  if (c === undefined) contents.set(file, (c = readFileSync(file, 'utf8')));
  return c;
}

export function loadCaseRules(k8sauditDir: string, c: LegacyCase, current: boolean): LoadResult {
  const files = c.rulesFiles
    .flatMap((f) => mapRulesPath(k8sauditDir, f, current))
    .map((f) => {
      let content = readCached(f);
      if (current && f.includes(`${path.sep}falco-legacy-tests${path.sep}rules${path.sep}`)) {
        for (const [from, to] of Object.entries(RENAMED_LISTS)) content = content.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
      }
      return { name: path.relative(k8sauditDir, f), content };
    });
  return loadRules(files);
}

/** Runs one case: first-match evaluation (Falco's default), then Falco's checks on the alerts. */
export async function runLegacyCase(k8sauditDir: string, c: LegacyCase, current: boolean): Promise<CaseOutcome> {
  const problems: string[] = [];
  const loaded = loadCaseRules(k8sauditDir, c, current);
  for (const e of loaded.errors) problems.push(`rules error ${e.file}:${e.line}:${e.col}: ${e.message}`);
  const evaluator = new EventEvaluator(new RuleEngine(loaded.rules));
  const alerts: FalcoAlert[] = [];
  let malformed = 0;
  const trace = path.join(k8sauditDir, 'test_files', path.basename(c.traceFile));
  for await (const item of readInputFile(trace)) {
    if (item.kind === 'malformed') malformed++;
    else alerts.push(...evaluator.evaluate(item.event));
  }
  if (!c.detect && alerts.length > 0) problems.push(`expected no detection, got ${alerts.map((a) => a.rule).join(', ')}`);
  if (c.detect) {
    if (alerts.length === 0) problems.push('expected a detection, got none');
    const level = c.detectLevel ? parsePriority(c.detectLevel) : undefined;
    if (level && !alerts.some((a) => a.priority === level)) problems.push(`expected a detection at level ${level}, got ${alerts.map((a) => a.priority).join(', ')}`);
    for (const [legacyRule, count] of Object.entries(c.detectCounts)) {
      const rule = current ? (RENAMED_RULES[legacyRule] ?? legacyRule) : legacyRule;
      const got = alerts.filter((a) => a.rule === rule).length;
      if (got !== count) problems.push(`rule ${rule}: expected ${count} detection(s), got ${got}`);
    }
  }
  return { name: c.name, passed: problems.length === 0, problems, alerts, malformed };
}
