import { BadInputError } from '@bulkhead/plugin-sdk';
import { evaluateManifests, K8S_CHECK_GROUPS, type K8sCheckGroup, type K8sManifestsResult } from '../k8s/evaluate';
import { loadManifests } from '../k8s/load';
import type { BenchmarkCheckResult } from '../report/model';
import { BENCHMARK_PLUGIN_VERSION } from '../plugin';
import { parsePssLevel, parsePssVersion } from '../pss/evaluator';
import { formatJunit } from '../report/junit';
import { formatSarif } from '../report/sarif';
import { formatTable } from '../report/table';
import { REPORT_FORMATS, type ReportFormat } from '../report';
import type { IgnoreRule } from '@bulkhead/plugin-sdk/cli';
import { applyIgnores, ignoredNotice, isIgnored, isIgnoredByRules, parseIgnoreIds } from './ignore';
import { referencesOf } from '../report/references';

/** Options of `bulkhead bench k8s <files|dirs...>`, as commander parses them. */
export interface BenchK8sOptions {
  /** Manifest files and directories; `-` reads a manifest stream from standard input. */
  paths: string[];
  /** `--namespace NS`: the namespace objects without one are applied to (default `default`). */
  namespace?: string;
  /** Reads standard input (for `-`); the CLI passes process.stdin. */
  readStdin?: () => Promise<string>;
  /** `--pss baseline|restricted`: evaluate the Pod Security Standards at this level (alone, unless `checks` says otherwise). */
  pss?: string;
  /** `--pss-version v1.N|latest` (default latest). */
  pssVersion?: string;
  /** `--format table|json|sarif|junit` (default table). */
  format?: string;
  /** `--exit-code N`: exit code when anything fails or a file cannot be parsed (default 0). */
  exitCode?: number | string;
  /** `--checks pss,rbac,netpol,workload`: check groups; default all without --pss, only pss with --pss. */
  checks?: readonly string[] | string;
  /** `--ignore ID[,ID]` (repeatable): leave out results of these checks (own ids or equivalents such as KSV014). */
  ignore?: readonly string[] | string;
  /** Rules in force from the ignore file (`--ignorefile`, else `.bulkheadignore` when present). */
  ignoreRules?: readonly IgnoreRule[];
  ignoreFile?: string;
}

export interface BenchK8sOutput {
  output: string;
  exitCode: number;
  /** A line for standard error: how many results `--ignore` left out. */
  notice?: string;
}

/**
 * The `bench k8s` command as a pure function: loads the manifests, runs the checks and renders
 * the report. Bad options and missing paths throw a BadInputError (the CLI prints it and exits 2).
 *
 * With `--pss` and `--format json` the output is `{"results": [{kind, namespace, name, file,
 * line, pss: {level, version, allowed, violations: [{check, reason, detail}]}}]}` plus, only
 * when non-empty, `skipped` (objects of other kinds), `errors` (unparsable files) and `checks`
 * (the normalised report of RBAC/NetworkPolicy when `--checks` asked for them too).
 */
export async function runBenchK8s(options: BenchK8sOptions): Promise<BenchK8sOutput> {
  const format = parseFormat(options.format);
  const failExitCode = parseExitCode(options.exitCode);
  const checks = parseChecks(options.checks, options.pss !== undefined);
  const level = parsePssLevel(options.pss ?? 'baseline');
  const version = options.pssVersion ?? 'latest';
  parsePssVersion(version);

  const namespace = parseNamespace(options.namespace);
  const ignore = parseIgnoreIds(options.ignore);

  const loaded = await loadManifests(options.paths, options.readStdin ? { readStdin: options.readStdin } : {});
  const rules = options.ignoreRules ?? [];
  const { result, ignored } = withoutIgnored(evaluateManifests(loaded, { pss: { level, version }, checks, namespace }), ignore, rules);
  const failed = result.report.summary.FAIL > 0 || result.errors.length > 0;
  return {
    output: render(result, format, options.pss !== undefined),
    exitCode: failed ? failExitCode : 0,
    ...(ignore.length > 0 || rules.length > 0 ? { notice: ignoredNotice(ignored, [...(ignore.length > 0 ? ['--ignore'] : []), ...(rules.length > 0 ? [options.ignoreFile ?? 'ignore file'] : [])].join(', ')) } : {}),
  };
}

/**
 * Leaves `--ignore`d results out of the report and, for the `--pss` JSON, their violations out of
 * each workload (a workload whose violations are all ignored counts as allowed).
 */
function withoutIgnored(result: K8sManifestsResult, ignore: readonly string[], rules: readonly IgnoreRule[]): { result: K8sManifestsResult; ignored: number } {
  const { report, ignored } = applyIgnores(result.report, ignore, rules);
  if ((ignore.length === 0 && rules.length === 0) || !result.pss) return { result: { ...result, report }, ignored };
  const benchmark = `pss-${result.pss.level}`;
  const results = result.pss.results.map((r) => {
    const targets = [r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`, ...(r.file ? [r.file] : [])];
    const violations = r.pss.violations.filter((v) => {
      const check = { checkId: v.check, ...optionalReferences(v.check, benchmark) };
      return !isIgnored(check, ignore) && !isIgnoredByRules(check, targets, rules);
    });
    return { ...r, pss: { ...r.pss, violations, allowed: violations.length === 0 } };
  });
  return { result: { ...result, report, pss: { ...result.pss, results } }, ignored };
}

function optionalReferences(checkId: string, benchmark: string): { references?: NonNullable<ReturnType<typeof referencesOf>> } {
  const references = referencesOf(checkId, benchmark);
  return references ? { references } : {};
}

function render(result: K8sManifestsResult, format: ReportFormat, pssMode: boolean): string {
  switch (format) {
    case 'json':
      return JSON.stringify(pssMode ? pssJson(result) : fullJson(result), null, 2) + '\n';
    case 'sarif':
      return formatSarif(result.report, {
        toolName: 'bulkhead',
        toolVersion: BENCHMARK_PLUGIN_VERSION,
        informationUri: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/',
        notifications: result.errors,
      });
    case 'junit':
      return formatJunit(result.report);
    case 'table':
      return tableText(result);
  }
}

function pssJson(result: K8sManifestsResult): Record<string, unknown> {
  const out: Record<string, unknown> = {
    results: (result.pss?.results ?? []).map((r) => ({
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      pss: { level: r.pss.level, version: r.pss.version, allowed: r.pss.allowed, violations: r.pss.violations },
      file: r.file,
      line: r.line,
    })),
  };
  if (result.skipped.length > 0) out['skipped'] = result.skipped;
  if (result.skippedFiles.length > 0) out['skippedFiles'] = result.skippedFiles;
  if (result.errors.length > 0) out['errors'] = result.errors;
  const others = result.report.results.filter((r) => !r.benchmark?.startsWith('pss-'));
  if (others.length > 0) out['checks'] = others.map(withLocation);
  return out;
}

function fullJson(result: K8sManifestsResult): Record<string, unknown> {
  return { ...result.report, results: result.report.results.map(withLocation), skipped: result.skipped, skippedFiles: result.skippedFiles, errors: result.errors };
}

/** A result with `location: {file, line, endLine, path}` (the flat file/line stay for existing readers). */
function withLocation(r: BenchmarkCheckResult): BenchmarkCheckResult & { location?: Record<string, unknown> } {
  if (!r.file) return r;
  const location = { file: r.file, ...(r.line ? { line: r.line, endLine: r.endLine ?? r.line } : {}), ...(r.path ? { path: r.path } : {}) };
  return { ...r, location };
}

function tableText(result: K8sManifestsResult): string {
  let text = formatTable(result.report);
  if (result.skipped.length > 0) {
    const kinds = new Map<string, number>();
    for (const s of result.skipped) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
    text += `skipped ${result.skipped.length} objects of kinds not evaluated: ${[...kinds].map(([k, n]) => `${k} (${n})`).join(', ')}\n`;
  }
  if (result.skippedFiles.length > 0) {
    text += `skipped ${result.skippedFiles.length} files that are not Kubernetes manifests:\n`;
    for (const f of result.skippedFiles) text += `  ${f.file}: ${f.reason}\n`;
  }
  for (const e of result.errors) text += `error: ${e.message}\n`;
  return text;
}

function parseFormat(format: string | undefined): ReportFormat {
  const f = format ?? 'table';
  if ((REPORT_FORMATS as readonly string[]).includes(f)) return f as ReportFormat;
  throw new BadInputError(`--format ${JSON.stringify(f)} is not one of ${REPORT_FORMATS.join(', ')}`);
}

function parseExitCode(value: number | string | undefined): number {
  if (value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 255 || (typeof value === 'string' && !/^\d+$/.test(value))) {
    throw new BadInputError(`--exit-code ${JSON.stringify(value)} must be an integer from 0 to 255`);
  }
  return n;
}

// A DNS-1123 label, as Kubernetes requires of namespace names.
const NAMESPACE_NAME = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

function parseNamespace(value: string | undefined): string {
  if (value === undefined) return 'default';
  if (!NAMESPACE_NAME.test(value)) throw new BadInputError(`--namespace ${JSON.stringify(value)} is not a namespace name (lowercase letters, digits and '-', at most 63)`);
  return value;
}

function parseChecks(value: readonly string[] | string | undefined, pssGiven: boolean): K8sCheckGroup[] {
  if (value === undefined) return pssGiven ? ['pss'] : [...K8S_CHECK_GROUPS];
  const list = (typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','))).map((v) => v.trim()).filter(Boolean);
  const bad = list.filter((v) => !(K8S_CHECK_GROUPS as readonly string[]).includes(v));
  if (bad.length > 0 || list.length === 0) {
    throw new BadInputError(`--checks ${JSON.stringify(list.join(','))}: expected a comma-separated list of ${K8S_CHECK_GROUPS.join(', ')}`);
  }
  return list as K8sCheckGroup[];
}
