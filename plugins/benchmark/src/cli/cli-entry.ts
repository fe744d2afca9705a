import type { Command } from 'commander';
import { DEFAULT_IGNORE_FILE, definePluginCli, printInfo, useColor, expiredRulesNotice, loadIgnoreFile, rulesInForce, type CliHost, type IgnoreRule } from '@bulkhead/plugin-sdk/cli';
import type { BenchCommandOutput } from './bench-output';

// `@bulkhead/plugin-benchmark/cli`: the `bulkhead bench` commands. Each subcommand is a thin
// adapter over a pure function of this plugin, loaded (import()) only when that subcommand runs.

const FORMAT_HELP = 'output format: table, json, sarif, junit';
const EXIT_CODE_HELP = 'exit with this code when any check fails (default 0)';
const IGNORE_HELP = 'leave out results of these check ids or their equivalents (KSV014, AVD-KSV-0014, kube-score, Polaris, CIS ids); comma-separated, repeatable';

const SHOW_PASSED_HELP = 'list passing checks in the table too (by default they are only counted)';

/**
 * The width a table wraps its messages to: the terminal's (COLUMNS overrides it); none when
 * standard output is not a terminal, so that piped output keeps one line per result.
 */
function tableWidth(): { width?: number; color?: boolean } {
  const color = useColor(process.stdout) ? { color: true } : {};
  if (!process.stdout.isTTY) return color;
  const columns = Number(process.env['COLUMNS']) || process.stdout.columns;
  return columns ? { width: columns, ...color } : color;
}

const IGNOREFILE_HELP = `ignore file: check ids (or equivalents) with optional targets, exp:YYYY-MM-DD and a # reason (default: ${DEFAULT_IGNORE_FILE} in the working folder, when present)`;

/** The rules in force from `--ignorefile` or the default ignore file; expired ones are named on stderr. */
async function ignoreFileOptions(file: string | undefined, host: CliHost): Promise<{ ignoreRules?: IgnoreRule[]; ignoreFile?: string }> {
  const loaded = await loadIgnoreFile(file);
  if (!loaded.file) return {};
  const { active, expired } = rulesInForce(loaded.rules);
  const notice = expiredRulesNotice(expired);
  if (notice) host.err(notice);
  return { ignoreRules: active, ignoreFile: file ?? DEFAULT_IGNORE_FILE };
}

/** `--ignore` takes one value per occurrence (never the file operands after it) and collects them. */
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function registerBench(bench: Command, host: CliHost): void {
  const emit = (result: BenchCommandOutput): void => {
    host.out(result.output);
    if (result.notice) printInfo(host, result.notice);
    host.exit(result.exitCode);
  };

  bench
    .command('k8s')
    .description('Pod Security Standards, RBAC (CIS 5.1.x) and NetworkPolicy isolation of manifests')
    .argument('<paths...>', 'YAML/JSON manifest files or directories (multi-document, kind: List); - reads standard input')
    .option('-n, --namespace <namespace>', 'namespace of objects that set none (where they would be applied)', 'default')
    .option('--pss <level>', 'evaluate the Pod Security Standards at this level: baseline or restricted')
    .option('--pss-version <version>', 'PSS version v1.N or latest', 'latest')
    .option('--checks <groups>', 'comma-separated check groups: pss, rbac, netpol, workload (default: all; only pss with --pss)')
    .option('-f, --format <format>', FORMAT_HELP, 'table')
    .option('--exit-code <code>', EXIT_CODE_HELP)
    .option('--ignore <ids>', IGNORE_HELP, collect)
    .option('--ignorefile <file>', IGNOREFILE_HELP)
    .option('--show-passed', SHOW_PASSED_HELP)
    .action(async (paths: string[], options: { namespace: string; pss?: string; pssVersion: string; checks?: string; format: string; exitCode?: string; ignore?: string[]; ignorefile?: string; showPassed?: boolean }) => {
      const { runBenchK8s } = await import('./k8s-command');
      emit(await runBenchK8s({ paths, ...options, ...(await ignoreFileOptions(options.ignorefile, host)), ...tableWidth(), readStdin: () => readStream(process.stdin), onProgress: host.progressPrinter() }));
    });

  bench
    .command('node')
    .description('CIS Kubernetes node/master checks from kube-bench control files (their audits run as shell: trusted files only)')
    .option('--benchmark <id>', 'benchmark id, e.g. cis-1.8 (default: from --version or config.yaml)')
    .option('--version <k8s-version>', 'Kubernetes version used to pick the benchmark, e.g. 1.27')
    .option('--config <dir>', 'kube-bench cfg folder (default: $BULKHEAD_KUBE_BENCH_CFG or /etc/kube-bench/cfg)')
    .option('--root <dir>', 'evaluate a node file system copied to this folder')
    .option('--targets <targets>', 'comma-separated: master, node, controlplane, etcd, policies')
    .option('--timeout <seconds>', 'per-audit command timeout', '10')
    .option('--check <ids>', 'only these check ids (comma-separated)')
    .option('--skip <ids>', 'skip these check or group ids (comma-separated)')
    .option('-f, --format <format>', FORMAT_HELP, 'table')
    .option('--exit-code <code>', EXIT_CODE_HELP)
    .option('--ignore <ids>', IGNORE_HELP, collect)
    .option('--ignorefile <file>', IGNOREFILE_HELP)
    .option('--show-passed', SHOW_PASSED_HELP)
    .action(async (options: Record<string, string | string[] | undefined>) => {
      const { runBenchNode } = await import('./node-command');
      emit(await runBenchNode({ ...options, ...(await ignoreFileOptions(options.ignorefile as string | undefined, host)), ...tableWidth() }));
    });

  bench
    .command('dockerfile')
    .description('Dockerfile best practices (hadolint DL ids, Trivy DS ids) and CIS Docker 4.x (CIS-DI ids)')
    .argument('<paths...>', 'Dockerfiles, or directories searched for Dockerfile, Dockerfile.*, *.Dockerfile and Containerfile')
    .option('-f, --format <format>', FORMAT_HELP, 'table')
    .option('--exit-code <code>', EXIT_CODE_HELP)
    .option('--ignore <ids>', IGNORE_HELP, collect)
    .option('--ignorefile <file>', IGNOREFILE_HELP)
    .option('--show-passed', SHOW_PASSED_HELP)
    .action(async (paths: string[], options: { format: string; exitCode?: string; ignore?: string[]; ignorefile?: string; showPassed?: boolean }) => {
      const { runBenchDockerfile } = await import('./dockerfile-command');
      emit(await runBenchDockerfile({ paths, ...options, ...(await ignoreFileOptions(options.ignorefile, host)), ...tableWidth(), onProgress: host.progressPrinter() }));
    });

  bench
    .command('image')
    .description('image configuration and file system checks (Dockle CIS-DI / DKL ids)')
    .argument('<target>', 'oci:<dir>[:ref], docker-archive:<file>, rootfs:<dir>, or an image config JSON with --config-only')
    .option('--config-only', 'the target is an image config JSON file')
    .option('--name <reference>', "the image's registry name (for the latest-tag check)")
    .option('--accept-key <names>', 'ENV/ARG names never reported as secrets (comma-separated, repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('-f, --format <format>', FORMAT_HELP, 'table')
    .option('--exit-code <code>', EXIT_CODE_HELP)
    .option('--ignore <ids>', IGNORE_HELP, collect)
    .option('--ignorefile <file>', IGNOREFILE_HELP)
    .option('--show-passed', SHOW_PASSED_HELP)
    .action(async (target: string, options: { configOnly?: boolean; name?: string; acceptKey?: string[]; format: string; exitCode?: string; ignore?: string[]; ignorefile?: string; showPassed?: boolean }) => {
      const { runBenchImage } = await import('./image-command');
      emit(await runBenchImage({ target, ...options, ...(await ignoreFileOptions(options.ignorefile, host)), ...tableWidth() }));
    });

  bench
    .command('container')
    .description('container runtime configuration (CIS Docker 5.x) from docker inspect JSON or an OCI runtime config.json')
    .argument('<file>', 'docker inspect output or config.json')
    .option('-f, --format <format>', FORMAT_HELP, 'table')
    .option('--exit-code <code>', EXIT_CODE_HELP)
    .option('--ignore <ids>', IGNORE_HELP, collect)
    .option('--ignorefile <file>', IGNOREFILE_HELP)
    .option('--show-passed', SHOW_PASSED_HELP)
    .action(async (file: string, options: { format: string; exitCode?: string; ignore?: string[]; ignorefile?: string; showPassed?: boolean }) => {
      const { runBenchContainer } = await import('./container-command');
      emit(await runBenchContainer({ file, ...options, ...(await ignoreFileOptions(options.ignorefile, host)), ...tableWidth() }));
    });
}

function registerCluster(cluster: Command, host: CliHost): void {
  cluster
    .command('scan')
    .description('list a Kubernetes cluster once and check what runs: Pod Security Standards, hardening, RBAC, NetworkPolicy; summary per namespace and workload')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('-n, --namespace <names>', 'only these namespaces (comma-separated); default: every namespace and the cluster-scoped objects')
    .option('--pss <level>', 'Pod Security Standards level: baseline or restricted (default baseline)')
    .option('--checks <groups>', 'comma-separated check groups: pss, rbac, netpol, workload (default: all; only pss with --pss)')
    .option('-f, --format <format>', 'output format: table, json', 'table')
    .option('--exit-code <code>', EXIT_CODE_HELP)
    .action(async (options: { kubeconfig?: string; context?: string; namespace?: string; pss?: string; checks?: string; format: string; exitCode?: string }) => {
      const { runClusterScan } = await import('./cluster-command');
      const result = await runClusterScan({ ...options, onProgress: host.progressPrinter() });
      host.out(result.output);
      if (result.notice) host.err(result.notice);
      host.exit(result.exitCode);
    });
}

export default definePluginCli({
  commands: [
    {
      name: 'cluster',
      description: 'Kubernetes clusters: inventory and checks of what runs',
      register: registerCluster,
    },
    {
      name: 'bench',
      description: 'configuration benchmarks: Kubernetes manifests, nodes (kube-bench format), Dockerfiles, images, containers',
      register: registerBench,
    },
  ],
});
