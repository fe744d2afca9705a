import { open, stat } from 'node:fs/promises';
import { evaluateManifests, K8S_CHECK_GROUPS, type K8sCheckGroup, type K8sManifestsResult } from '../k8s/evaluate';
import { loadManifests } from '../k8s/load';
import type { BenchmarkCheckResult } from '../report/model';
import { BENCHMARK_PLUGIN_VERSION } from '../plugin';
import { parsePssLevel, parsePssVersion } from '../pss/evaluator';
import { formatJunit } from '../report/junit';
import { formatSarif } from '../report/sarif';
import { formatTable, type TableOptions } from '../report/table';
import type { ReportFormat } from '../report';
import { cannotReadMessage, usageError, type IgnoreRule } from '@bulkhead/plugin-sdk/cli';
import { asUsage, parseExitCode, parseFormat, tableOptions, type InputError } from './bench-output';
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
  /** `--show-passed`: list PASS results in the table too. */
  showPassed?: boolean;
  /** Terminal width the table's messages wrap to (set on a terminal only). */
  width?: number;
  /** Colour the table's statuses. */
  color?: boolean;
  /** Progress over many files (the CLI's progress line on a terminal). */
  onProgress?: (fraction: number, message?: string) => void;
}

export interface BenchK8sOutput {
  output: string;
  exitCode: number;
  /** A line for standard error: how many results `--ignore` left out. */
  notice?: string;
}

/**
 * The `bench k8s` command as a pure function: loads the manifests, runs the checks and renders
 * the report. Bad options are usage errors (exit 2); a path that cannot be read and a file that
 * cannot be parsed are listed in `errors` and make the exit code 1 (unless checks failed and
 * `--exit-code` gives another), while the other files are still checked.
 *
 * `--format json` has one shape with or without `--pss` (k8sJson): the per-workload Pod
 * Security verdicts are in `workloads`, every check result in `results`.
 */
export async function runBenchK8s(options: BenchK8sOptions): Promise<BenchK8sOutput> {
  const format = parseFormat(options.format);
  const failExitCode = parseExitCode(options.exitCode);
  const checks = parseChecks(options.checks, options.pss !== undefined);
  const level = asUsage(() => parsePssLevel(options.pss ?? 'baseline'));
  const version = options.pssVersion ?? 'latest';
  asUsage(() => parsePssVersion(version));

  const namespace = parseNamespace(options.namespace);
  const ignore = parseIgnoreIds(options.ignore);

  if (options.paths.length === 0) throw usageError('no manifest files or directories given');
  const { readable, errors: unreadable } = await readablePaths(options.paths);
  const loaded = readable.length > 0 ? await loadManifests(readable, {
          ...(options.readStdin ? { readStdin: options.readStdin } : {}),
          ...(options.onProgress ? { onFile: progressOver(options.onProgress) } : {}),
        }) : { objects: [], errors: [], files: [], skippedFiles: [] };
  loaded.errors.unshift(...unreadable);
  const rules = options.ignoreRules ?? [];
  const { result, ignored } = withoutIgnored(evaluateManifests(loaded, { pss: { level, version }, checks, namespace }), ignore, rules);
  // Failed checks give --exit-code's value; an input that could not be checked is a failed run (1) even without it.
  const exitCode = result.report.summary.FAIL > 0 && failExitCode !== 0 ? failExitCode : result.errors.length > 0 ? 1 : 0;
  return {
    output: render(result, format, tableOptions(options)),
    exitCode,
    ...(ignore.length > 0 || rules.length > 0 ? { notice: ignoredNotice(ignored, [...(ignore.length > 0 ? ['--ignore'] : []), ...(rules.length > 0 ? [options.ignoreFile ?? 'ignore file'] : [])].join(', ')) } : {}),
  };
}

/** Reading is most of the work (evaluation is quick): progress is the files read so far. */
function progressOver(onProgress: (fraction: number, message?: string) => void): (index: number, count: number, file: string) => void {
  return (index, count, file) => onProgress(index / count, `reading ${file} (${index + 1} of ${count})`);
}

/**
 * The named paths that exist and (for files) open, and an error in words for each other one, so
 * that one missing or unreadable manifest does not stop the others from being checked.
 */
async function readablePaths(paths: readonly string[]): Promise<{ readable: string[]; errors: InputError[] }> {
  const readable: string[] = [];
  const errors: InputError[] = [];
  for (const p of paths) {
    if (p === '-') {
      readable.push(p);
      continue;
    }
    try {
      if (!(await stat(p)).isDirectory()) await (await open(p, 'r')).close();
      readable.push(p);
    } catch (error) {
      errors.push({ file: p, message: cannotReadMessage(p, error, 'manifest') });
    }
  }
  return { readable, errors };
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

function render(result: K8sManifestsResult, format: ReportFormat, table: TableOptions): string {
  switch (format) {
    case 'json':
      return JSON.stringify(k8sJson(result), null, 2) + '\n';
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
      return tableText(result, table);
  }
}

/**
 * The one JSON shape of `bench k8s`, with or without --pss (docs/schemas/bench-k8s.schema.json):
 * the report every bench command prints (title, results, summary, errors, notes), plus the
 * objects and files that were skipped and, per workload, its Pod Security verdict
 * (`workloads`: empty when the pss group did not run).
 */
function k8sJson(result: K8sManifestsResult): Record<string, unknown> {
  return {
    ...result.report,
    results: result.report.results.map(withLocation),
    errors: result.errors,
    notes: [],
    skipped: result.skipped,
    skippedFiles: result.skippedFiles,
    workloads: (result.pss?.results ?? []).map((r) => ({
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      ...(r.file !== undefined ? { file: r.file } : {}),
      ...(r.line !== undefined ? { line: r.line } : {}),
      pss: { level: r.pss.level, version: r.pss.version, allowed: r.pss.allowed, violations: r.pss.violations },
    })),
  };
}

/** A result with `location: {file, line, endLine, path}` (the flat file/line stay for existing readers). */
function withLocation(r: BenchmarkCheckResult): BenchmarkCheckResult & { location?: Record<string, unknown> } {
  if (!r.file) return r;
  const location = { file: r.file, ...(r.line ? { line: r.line, endLine: r.endLine ?? r.line } : {}), ...(r.path ? { path: r.path } : {}) };
  return { ...r, location };
}

function tableText(result: K8sManifestsResult, table: TableOptions): string {
  let text = formatTable(result.report, table);
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

// A DNS-1123 label, as Kubernetes requires of namespace names.
const NAMESPACE_NAME = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

function parseNamespace(value: string | undefined): string {
  if (value === undefined) return 'default';
  if (!NAMESPACE_NAME.test(value)) throw usageError(`--namespace ${JSON.stringify(value)} is not a namespace name (lowercase letters, digits and '-', at most 63)`);
  return value;
}

export function parseChecks(value: readonly string[] | string | undefined, pssGiven: boolean): K8sCheckGroup[] {
  if (value === undefined) return pssGiven ? ['pss'] : [...K8S_CHECK_GROUPS];
  const list = (typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','))).map((v) => v.trim()).filter(Boolean);
  const bad = list.filter((v) => !(K8S_CHECK_GROUPS as readonly string[]).includes(v));
  if (bad.length > 0 || list.length === 0) {
    throw usageError(`--checks ${JSON.stringify(list.join(','))}: expected a comma-separated list of ${K8S_CHECK_GROUPS.join(', ')}`);
  }
  return list as K8sCheckGroup[];
}
