import { readFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { BadInputError, silentLogger, type Severity, type TaskLogger } from '@bulkhead/plugin-sdk';
import { benchmarkReport, type BenchmarkCheckResult, type BenchmarkReport, type BenchmarkStatus } from '../report';
import { runShellAudit, type AuditRunner } from './audit';
import { runCheck, type CheckOutcome } from './check';
import {
  benchmarkForKubernetesVersion,
  isConfigMap,
  KUBE_BENCH_TARGETS,
  loadGlobalConfig,
  loadKubeBenchConfig,
  targetsOfBenchmark,
  type ConfigMap,
  type KubeBenchTarget,
} from './config';
import { parseControls, type ControlCheck, type Controls } from './controls';
import { componentMissingMessage, discoverBinaries, discoverFiles, expandRootMarks, FILE_KINDS, listHostProcesses, rewriteAuditForRoot, ROOT_VARIABLE, substitute, type FileKind, type ProcessInfo } from './discovery';

export const DEFAULT_AUDIT_TIMEOUT_MS = 10_000;
export const DEFAULT_KUBE_BENCH_CFG_DIR = '/etc/kube-bench/cfg';

export interface KubeBenchOptions {
  /** kube-bench cfg folder (config.yaml + one folder per benchmark). */
  cfgDir: string;
  /** Benchmark id (`cis-1.8`); or give `kubernetesVersion` and let `version_mapping` choose. */
  benchmark?: string;
  kubernetesVersion?: string;
  /** Node types to check; default: the benchmark's `target_mapping`, keeping master/etcd only where they run. */
  targets?: readonly KubeBenchTarget[];
  /**
   * A node file system copied elsewhere. Config files are looked up under it, substituted paths
   * and literal node paths in audits (/etc, /var, ...) point into it, and audits get
   * `BULKHEAD_ROOT` in their environment. Processes still come from `processes` or this host.
   */
  root?: string;
  /** Per-audit deadline; a command still running then is killed with its process group. */
  timeoutMs?: number;
  /** The node's processes for binary discovery; default: this host's /proc. */
  processes?: readonly ProcessInfo[];
  /** Name of the checked node in results; default: this host's name. */
  nodeName?: string;
  /** Check or group ids to report as skipped (INFO), like kube-bench's --skip. */
  skip?: readonly string[];
  /** Only run these check ids (kube-bench's --check). */
  checks?: readonly string[];
  /** Audits run in parallel up to this many. */
  concurrency?: number;
  signal?: AbortSignal;
  logger?: TaskLogger;
  /** Replaces the shell runner (tests). */
  runAudit?: AuditRunner;
}

export interface KubeBenchRun {
  benchmark: string;
  targets: KubeBenchTarget[];
  report: BenchmarkReport;
  /** What kube-bench would print as warnings: missing components, generated env audits ... */
  notes: string[];
}

/** Resolves the benchmark id from `benchmark` or `kubernetesVersion` (exactly one). */
export function resolveBenchmark(values: ConfigMap, options: Pick<KubeBenchOptions, 'benchmark' | 'kubernetesVersion'>): string {
  if (options.benchmark && options.kubernetesVersion) throw new BadInputError('give either a benchmark id or a Kubernetes version, not both');
  if (options.benchmark) return options.benchmark;
  if (options.kubernetesVersion) return benchmarkForKubernetesVersion(values, options.kubernetesVersion);
  throw new BadInputError('a benchmark id (e.g. cis-1.8) or a Kubernetes version is required');
}

/** Runs kube-bench control files against a node (this host, or a copied root file system). */
export async function runKubeBench(options: KubeBenchOptions): Promise<KubeBenchRun> {
  const logger = options.logger ?? silentLogger;
  if (!existsSync(options.cfgDir)) throw new BadInputError(`kube-bench cfg folder ${options.cfgDir} does not exist`);
  if (options.root !== undefined && /[\0\n\r]/.test(options.root)) throw new BadInputError('root folder: a path must not contain NUL or line breaks');
  if (options.root !== undefined && !existsSync(options.root)) throw new BadInputError(`root folder ${options.root} does not exist`);
  // Audits read the root from $BULKHEAD_ROOT (absolute, so a `cd` in an audit changes nothing).
  const root = options.root === undefined ? undefined : path.resolve(options.root);
  const globalValues = loadGlobalConfig(options.cfgDir);
  const benchmark = resolveBenchmark(globalValues, options);
  const config = loadKubeBenchConfig(options.cfgDir, benchmark);
  const processes = options.processes ?? listHostProcesses();
  const notes: string[] = [];
  const declared = targetsOfBenchmark(config.values, benchmark);
  let targets: KubeBenchTarget[];
  if (options.targets && options.targets.length > 0) {
    const invalid = options.targets.filter((t) => !declared.includes(t));
    if (invalid.length > 0) throw new BadInputError(`targets ${invalid.join(', ')} are not valid for ${benchmark} (valid: ${declared.join(', ')})`);
    targets = [...options.targets];
  } else {
    // kube-bench runs master and etcd checks only where their components run.
    targets = declared.filter((t) => (t === 'master' || t === 'etcd' ? isRunning(config.values, t, processes) : true));
  }
  targets = targets.filter((t) => {
    const exists = existsSync(path.join(options.cfgDir, benchmark, `${t}.yaml`));
    if (!exists) notes.push(`${benchmark} has no ${t}.yaml; target skipped`);
    return exists;
  });

  if (root === undefined) stopWithoutComponents(config.values, targets, processes);

  const nodeName = options.nodeName ?? hostname();
  const skip = new Set(options.skip ?? []);
  const results: BenchmarkCheckResult[] = [];
  for (const target of targets) {
    options.signal?.throwIfAborted();
    const file = path.join(options.cfgDir, benchmark, `${target}.yaml`);
    const source = readFileSync(file, 'utf8');
    const controls = parseControls(source, path.relative(options.cfgDir, file));
    const lines = checkLines(source);
    if (controls.type !== target) throw new BadInputError(`${file}: non-${target} controls file specified (type is ${JSON.stringify(controls.type)})`);
    const section = config.values[target];
    const prepared = prepareControls(controls, source, isConfigMap(section) ? section : {}, processes, root, notes, target).filter(
      (p) => !options.checks || options.checks.length === 0 || options.checks.includes(p.check.id),
    );
    logger.info({ benchmark, target, checks: prepared.length }, 'running kube-bench controls');
    const outcomes = await runPool(prepared, options.concurrency ?? 4, async (p) => {
      const check = p.check;
      options.signal?.throwIfAborted();
      const skipped = p.groupSkipped || skip.has(p.check.id) || skip.has(p.groupId);
      const effective = skipped ? { ...check, type: 'skip' } : check;
      return runCheck(effective, options.runAudit ?? runShellAudit, {
        timeoutMs: options.timeoutMs ?? DEFAULT_AUDIT_TIMEOUT_MS,
        ...(root ? { env: { [ROOT_VARIABLE]: root } } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    });
    prepared.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome) results.push(toResult(p, outcome, { benchmark, target, nodeName, controls, file: `${benchmark}/${target}.yaml`, lines }));
    });
  }
  return { benchmark, targets, report: benchmarkReport(`kube-bench ${benchmark} on ${nodeName}`, results), notes };
}

/**
 * Like kube-bench, stops before any audit runs when a target's mandatory component (the
 * kubelet on a worker node, the API server on a master) runs none of its programs here: on a
 * host without Kubernetes every check would otherwise fail on unsubstituted `$...bin`
 * variables. With `--root` the node is a copied file system, not this host, so the runner goes
 * on and says which variables it could not fill.
 */
function stopWithoutComponents(values: ConfigMap, targets: readonly KubeBenchTarget[], processes: readonly ProcessInfo[]): void {
  for (const target of targets) {
    const section = values[target];
    if (!isConfigMap(section)) continue;
    const [component] = discoverBinaries(section, processes).missing;
    if (component === undefined) continue;
    throw new BadInputError(
      `${componentMissingMessage(target, component, section)}\n` +
        `failed to get a set of executables needed for tests: is this a Kubernetes ${target === 'node' ? 'worker ' : ''}node? (to check a copy of a node's file system, give --root DIR)`,
    );
  }
}

interface PreparedCheck {
  check: ControlCheck;
  groupId: string;
  groupText: string;
  groupSkipped: boolean;
}

function isRunning(values: ConfigMap, target: KubeBenchTarget, processes: readonly ProcessInfo[]): boolean {
  const section = values[target];
  if (!isConfigMap(section)) return false;
  const found = discoverBinaries(section, processes);
  return Object.keys(found.binaries).length > 0 && found.missing.length === 0;
}

/**
 * Substitutes kube-bench's variables in every check: `$<component>bin` with the running binary,
 * `$<component>conf|svc|kubeconfig|cafile|datadir` with the discovered file. Audits get the
 * audit paths (under --root), text and remediation the node paths.
 */
function prepareControls(
  controls: Controls,
  source: string,
  section: ConfigMap,
  processes: readonly ProcessInfo[],
  root: string | undefined,
  notes: string[],
  target: string,
): PreparedCheck[] {
  const found = discoverBinaries(section, processes);
  // kube-bench drops all binary substitutions when a mandatory component is not running.
  const binaries = found.missing.length > 0 ? {} : found.binaries;
  if (found.missing.length > 0) notes.push(`${target}: unable to detect running programs for ${found.missing.join(', ')}; $...bin variables are left unsubstituted`);
  const files = Object.fromEntries(Object.keys(FILE_KINDS).map((k) => [k, discoverFiles(section, k as FileKind, root)])) as Record<
    FileKind,
    ReturnType<typeof discoverFiles>
  >;
  const binSubs = substitute(source, 'bin', binaries).used;
  const apply = (text: string, forAudit: boolean): string => {
    let out = forAudit && root ? rewriteAuditForRoot(text) : text;
    out = substitute(out, 'bin', binaries).text;
    for (const kind of Object.keys(FILE_KINDS) as FileKind[]) {
      const values = Object.fromEntries(Object.entries(files[kind]).map(([c, p]) => [c, forAudit ? p.auditPath : p.nodePath]));
      out = substitute(out, kind, values).text;
    }
    // The root reaches the shell only as $BULKHEAD_ROOT, never as text (a folder named `x;id` stays a name).
    return forAudit && root ? expandRootMarks(out) : out;
  };
  const prepared: PreparedCheck[] = [];
  for (const group of controls.groups) {
    for (const raw of group.checks) {
      const check: ControlCheck = {
        ...raw,
        text: apply(raw.text, false),
        remediation: apply(raw.remediation, false),
        audit: apply(raw.audit, true),
        auditConfig: apply(raw.auditConfig, true),
        auditEnv: apply(raw.auditEnv, true),
      };
      // kube-bench's generateDefaultEnvAudit: env test items read the environment of the one binary the file uses.
      if (check.tests && !check.disableEnvTesting && check.auditEnv === '' && check.tests.testItems.some((t) => t.env !== '')) {
        if (binSubs.length !== 1) notes.push(`${check.id}: audit_env not explicit and the binary cannot be determined`);
        check.auditEnv = `cat "/proc/$(/bin/ps -C ${binSubs.length === 1 ? binSubs[0] : ''} -o pid= | tr -d ' ')/environ" | tr '\\0' '\\n'`;
      }
      prepared.push({ check, groupId: group.id, groupText: group.text, groupSkipped: group.type === 'skip' });
    }
  }
  return prepared;
}

/**
 * The line of each check's `id:` in a control file (the first, for an id given twice), so that
 * results point at `cis-1.8/node.yaml:123` as a Dockerfile finding points at its instruction.
 */
export function checkLines(source: string): Map<string, number> {
  const lines = new Map<string, number>();
  source.split('\n').forEach((text, index) => {
    const match = /^\s*(?:-\s+)?id:\s*(?:"([^"]*)"|'([^']*)'|([^\s#]+))\s*(?:#.*)?$/.exec(text);
    const id = match?.[1] ?? match?.[2] ?? match?.[3];
    if (id !== undefined && !lines.has(id)) lines.set(id, index + 1);
  });
  return lines;
}

const STATUS: Record<CheckOutcome['state'], BenchmarkStatus> = { PASS: 'PASS', FAIL: 'FAIL', WARN: 'WARN', INFO: 'INFO' };

function toResult(
  p: PreparedCheck,
  outcome: CheckOutcome,
  ctx: { benchmark: string; target: string; nodeName: string; controls: Controls; file: string; lines: ReadonlyMap<string, number> },
): BenchmarkCheckResult {
  // kube-bench has no severities; its Security Hub export labels every finding HIGH. Scored
  // (automated) controls keep that; unscored ones, which need a human, are MEDIUM.
  const severity: Severity = p.check.scored ? 'HIGH' : 'MEDIUM';
  return {
    checkId: p.check.id,
    title: p.check.text,
    status: STATUS[outcome.state],
    severity,
    target: ctx.nodeName,
    message: messageOf(outcome),
    ...(p.check.remediation.trim() ? { remediation: p.check.remediation.trim() } : {}),
    file: ctx.file,
    ...(ctx.lines.has(p.check.id) ? { line: ctx.lines.get(p.check.id) } : {}),
    benchmark: ctx.benchmark,
    data: {
      nodeType: ctx.target,
      section: `${ctx.controls.id} ${ctx.controls.text}`,
      group: `${p.groupId} ${p.groupText}`,
      scored: p.check.scored,
      ...(p.check.type ? { type: p.check.type } : {}),
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      ...(outcome.actualValue ? { actualValue: outcome.actualValue } : {}),
      ...(outcome.expectedResult ? { expectedResult: outcome.expectedResult } : {}),
      ...(outcome.timedOut ? { timedOut: true } : {}),
      ...(p.check.audit ? { audit: p.check.audit } : {}),
    },
  };
}

function messageOf(outcome: CheckOutcome): string {
  if (outcome.reason) return outcome.reason;
  if (outcome.state === 'PASS') return outcome.expectedResult || 'passed';
  const actual = outcome.actualValue.trim() === '' ? '(no output)' : outcome.actualValue.trim();
  return `expected ${outcome.expectedResult || 'tests to pass'}; audit output: ${actual}`;
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
async function runPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export { KUBE_BENCH_TARGETS };
