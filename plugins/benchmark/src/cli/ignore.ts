import { ignoreRuleMatches, usageError, type IgnoreRule } from '@bulkhead/plugin-sdk/cli';
import { summarize, type BenchmarkCheckResult, type BenchmarkReport } from '../report/model';
import { CHECK_REFERENCES, checkMatches, idsOf } from '../report/references';

/**
 * `--ignore` of the `bench` commands: results whose check id or any equivalent (KSV014,
 * AVD-KSV-0014, kube-score and Polaris ids, CIS ids; case-insensitive, see checkMatches) is named
 * are left out of the report, its summary and so of the `--exit-code` decision. A bad `--ignore`
 * is a usage error (exit 2).
 */

/** `--ignore a,b --ignore c` as commander collects it (a string or one string per occurrence). */
export function parseIgnoreIds(value: readonly string[] | string | undefined): string[] {
  if (value === undefined) return [];
  const list = (typeof value === 'string' ? [value] : value).flatMap((v) => v.split(',')).map((v) => v.trim());
  if (list.some((v) => v === '')) throw usageError(`--ignore ${JSON.stringify((typeof value === 'string' ? [value] : value).join(','))}: expected comma-separated check ids, without empty entries`);
  return list;
}

/** Every id Bulkhead knows, lowercased: the cross-reference table and everything these results answer to (e.g. kube-bench control ids). */
function knownIds(results: readonly BenchmarkCheckResult[]): Set<string> {
  const known = new Set<string>();
  for (const checkId of Object.keys(CHECK_REFERENCES)) for (const id of idsOf(checkId)) known.add(id.toLowerCase());
  for (const r of results) for (const id of idsOf(r.checkId, r.references)) known.add(id.toLowerCase());
  return known;
}

/** Throws a usage error (exit 2) naming the first `ids` entry that is no check id and no equivalent of one. */
export function assertKnownIds(ids: readonly string[], results: readonly BenchmarkCheckResult[]): void {
  if (ids.length === 0) return;
  const known = knownIds(results);
  const unknown = ids.filter((id) => !known.has(id.toLowerCase()));
  if (unknown.length > 0) {
    throw usageError(`--ignore ${unknown.map((id) => JSON.stringify(id)).join(', ')}: no Bulkhead check has this id or equivalent (Trivy KSV/DS/AVD, kube-score, Polaris, CIS, hadolint, Dockle ids are accepted)`);
  }
}

export function isIgnored(result: { checkId: string; references?: BenchmarkCheckResult['references'] }, ids: readonly string[]): boolean {
  return ids.some((id) => checkMatches(result, id));
}

/**
 * Whether an ignore-file rule (SDK ignore-file.ts) covers a result: by its check id or any
 * equivalent, limited to the rule's targets (the object, e.g. `Deployment/web/api`, or the file).
 * Rules naming ids no check answers to (a CVE in a file shared with `scan`) simply match nothing.
 */
export function isIgnoredByRules(result: { checkId: string; references?: BenchmarkCheckResult['references'] }, targets: readonly string[], rules: readonly IgnoreRule[]): boolean {
  if (rules.length === 0) return false;
  const ids = idsOf(result.checkId, result.references);
  return rules.some((rule) => ignoreRuleMatches(rule, { ids, targets }));
}

function ignoredByFile(result: BenchmarkCheckResult, rules: readonly IgnoreRule[]): boolean {
  return isIgnoredByRules(result, [result.target, ...(result.file ? [result.file] : [])], rules);
}

/**
 * The report without results ignored by `--ignore` ids or ignore-file rules (summary recomputed)
 * and how many were left out. Unknown `--ignore` ids are a usage error.
 */
export function applyIgnores(report: BenchmarkReport, ids: readonly string[], rules: readonly IgnoreRule[] = []): { report: BenchmarkReport; ignored: number } {
  assertKnownIds(ids, report.results);
  if (ids.length === 0 && rules.length === 0) return { report, ignored: 0 };
  const kept = report.results.filter((r) => !isIgnored(r, ids) && !ignoredByFile(r, rules));
  return { report: { ...report, results: kept, summary: summarize(kept) }, ignored: report.results.length - kept.length };
}

/** The stderr line of a run that ignored results. */
export function ignoredNotice(ignored: number, source: string): string {
  return `ignored ${ignored} result${ignored === 1 ? '' : 's'} (${source})`;
}
