import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isConfigMap, stringSlice, stringValue, type ConfigMap } from './config';

/** A running process as kube-bench's `ps -C NAME -o cmd` sees it. */
export interface ProcessInfo {
  /** Kernel command name (`/proc/PID/comm`, at most 15 characters). */
  comm: string;
  /** Full command line, arguments joined with spaces. */
  cmd: string;
}

/** The processes of this host, from /proc (no `ps` needed). */
export function listHostProcesses(procDir = '/proc'): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return out;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const raw = readFileSync(path.join(procDir, pid, 'cmdline'));
      if (raw.length === 0) continue; // kernel threads
      const cmd = raw.toString('utf8').replace(/\0+$/, '').split('\0').join(' ');
      const comm = readFileSync(path.join(procDir, pid, 'comm'), 'utf8').trim();
      out.push({ comm, cmd });
    } catch {
      // The process exited while we looked.
    }
  }
  return out;
}

/**
 * Parses a process listing given as text, one command line a line (e.g. the output of
 * `ps -eo args --no-headers` captured on the node). The command name is the base name of the
 * first word, cut to 15 characters like the kernel's.
 */
export function parseProcessList(text: string): ProcessInfo[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((cmd) => ({ cmd, comm: path.basename(cmd.split(/\s+/)[0] ?? '').slice(0, 15) }));
}

/**
 * kube-bench's verifyBin: a candidate like `hyperkube kubelet` is running when a process whose
 * command name is the first word has a command line starting with the candidate (optionally
 * after a directory: `/usr/bin/kubelet` matches `kubelet`, `kube-apiserver` does not match
 * `apiserver`).
 */
export function isBinaryRunning(candidate: string, processes: readonly ProcessInfo[]): boolean {
  const bin = candidate.replace(/^['"]+|['"]+$/g, '');
  const first = bin.split(/\s+/)[0];
  if (!first) return false;
  const re = new RegExp(`^(\\S*\\/)*${bin}`);
  const comm = first.slice(0, 15);
  return processes.some((p) => p.comm === comm && re.test(p.cmd));
}

export interface BinaryDiscovery {
  /** component → running binary (or the component name when an optional one is not running). */
  binaries: Record<string, string>;
  /** Mandatory components with none of their binaries running. */
  missing: string[];
}

/**
 * kube-bench's getBinaries for one node type's section of the config. When a mandatory
 * component is missing kube-bench drops every binary substitution; we report `missing` and let
 * the caller decide (the runner follows kube-bench).
 */
export function discoverBinaries(section: ConfigMap, processes: readonly ProcessInfo[]): BinaryDiscovery {
  const binaries: Record<string, string> = {};
  const missing: string[] = [];
  for (const component of stringSlice(section['components'])) {
    const sub = section[component.toLowerCase()];
    if (!isConfigMap(sub)) continue;
    const bins = stringSlice(sub['bins']);
    if (bins.length === 0) continue;
    const optional = stringValue(sub['optional']) === 'true';
    const found = bins.find((b) => isBinaryRunning(b, processes));
    if (!found && !optional) missing.push(component);
    binaries[component] = found ?? component;
  }
  return { binaries, missing };
}

/** kube-bench's names of the node types in its "programs have been searched" message. */
const ROLE_NAMES: Record<string, { role: string; section: string }> = {
  node: { role: 'worker node', section: 'node' },
  etcd: { role: 'etcd node', section: 'etcd' },
};

/**
 * kube-bench's words when a mandatory component runs none of its programs (it then stops:
 * "failed to get a set of executables needed for tests"), with the programs it looked for.
 */
export function componentMissingMessage(target: string, component: string, section: ConfigMap): string {
  const sub = section[component.toLowerCase()];
  const bins = isConfigMap(sub) ? stringSlice(sub['bins']) : [];
  const { role, section: name } = ROLE_NAMES[target] ?? { role: 'master node', section: target === 'controlplane' || target === 'policies' ? target : 'master' };
  return [
    `unable to detect running programs for component ${JSON.stringify(component)}`,
    `The following ${JSON.stringify(role)} programs have been searched, but none of them have been found:`,
    ...bins.map((b) => `\t- ${b}`),
    `These program names are provided in the config.yaml, section '${name}.${component}.bins'`,
  ].join('\n');
}

/** Config keys per substitution kind (kube-bench's TypeMap), plus data dirs (newer kube-bench). */
export const FILE_KINDS = {
  conf: ['confs', 'defaultconf'],
  svc: ['svc', 'defaultsvc'],
  kubeconfig: ['kubeconfig', 'defaultkubeconfig'],
  cafile: ['cafile', 'defaultcafile'],
  datadir: ['datadirs', 'defaultdatadir'],
} as const;
export type FileKind = keyof typeof FILE_KINDS;

/** A file chosen for a component: its path on the node and where to read it from here. */
export interface NodePath {
  /** Path as the node sees it (shown in remediation text). */
  nodePath: string;
  /**
   * Path to use in audits: with `--root DIR`, ROOT_MARK + nodePath (never DIR itself: the
   * root reaches the shell only as the BULKHEAD_ROOT variable, see expandRootMarks).
   */
  auditPath: string;
}

/** The environment variable that carries `--root` to audit commands. */
export const ROOT_VARIABLE = 'BULKHEAD_ROOT';

/**
 * Stands for the root folder in audit text until expandRootMarks turns it into a reference to
 * $BULKHEAD_ROOT (a private-use character: it occurs in no control file).
 */
export const ROOT_MARK = '\uE000';

function auditPathUnder(root: string | undefined, p: string): string {
  return root && p.startsWith('/') ? `${ROOT_MARK}${p}` : p;
}

/**
 * Turns each ROOT_MARK of an audit command into a reference to $BULKHEAD_ROOT, so that a root
 * folder's name never becomes shell text: a folder named `x;touch PWNED;y` or `$(id)` is only
 * ever the value of a variable. Quoting follows the context at the mark: `"${BULKHEAD_ROOT}"`
 * outside quotes, `${BULKHEAD_ROOT}` inside double quotes, and inside single quotes
 * `${BULKHEAD_ROOT}` stays literal for the `sh -c '...'` it is usually handed to (which inherits
 * the variable). Whatever the context, the value is expanded by the shell, never parsed by it.
 */
export function expandRootMarks(command: string): string {
  let out = '';
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (c === ROOT_MARK) {
      out += quote === '' ? `"\${${ROOT_VARIABLE}}"` : `\${${ROOT_VARIABLE}}`;
      continue;
    }
    out += c;
    if (c === '\\' && quote !== "'" && i + 1 < command.length) {
      out += command[++i] as string;
    } else if (quote === '' && (c === "'" || c === '"')) {
      quote = c;
    } else if (c === quote) {
      quote = '';
    }
  }
  return out;
}

/**
 * kube-bench's getFiles: for each component, the first candidate that exists, else the
 * `default...` value, else the component name. With a root directory the candidates are looked
 * up under it and the audit path is prefixed with it.
 */
export function discoverFiles(section: ConfigMap, kind: FileKind, root?: string): Record<string, NodePath> {
  const [mainKey, defaultKey] = FILE_KINDS[kind];
  const out: Record<string, NodePath> = {};
  for (const component of stringSlice(section['components'])) {
    const sub = section[component.toLowerCase()];
    if (!isConfigMap(sub)) continue;
    const candidates = stringSlice(sub[mainKey]);
    const existing = candidates.find((c) => existsSync(withRoot(root, c)));
    if (existing !== undefined) out[component] = { nodePath: existing, auditPath: auditPathUnder(root, existing) };
    else if (sub[defaultKey] !== undefined && sub[defaultKey] !== null) {
      const def = stringValue(sub[defaultKey]);
      out[component] = { nodePath: def, auditPath: auditPathUnder(root, def) };
    } else out[component] = { nodePath: component, auditPath: component };
  }
  return out;
}

export function withRoot(root: string | undefined, p: string): string {
  if (!root || !p.startsWith('/')) return p;
  return path.join(root, p);
}

/**
 * Replaces `$<component><suffix>` variables, longest names first so that no variable is replaced
 * inside a longer one. A value with several words is single-quoted (kube-bench's
 * multiWordReplace). Returns the text and the values that were actually used.
 */
export function substitute(text: string, suffix: string, values: Record<string, string>): { text: string; used: string[] } {
  const used: string[] = [];
  let out = text;
  const keys = Object.keys(values).sort((a, b) => b.length - a.length || a.localeCompare(b));
  for (const key of keys) {
    const raw = values[key] ?? '';
    if (raw === '') continue;
    let value = raw;
    if (value.trim().split(/\s+/).length > 1) value = `'${value}'`;
    const variable = `$${key}${suffix}`;
    if (!out.includes(variable)) continue;
    out = out.split(variable).join(value);
    used.push(raw);
  }
  return { text: out, used };
}

/**
 * First path segments that name node configuration and state. With `--root DIR`, literal
 * absolute paths under these in audit commands are rewritten to DIR/...; tool paths (/bin,
 * /usr/bin, /sbin) and live kernel views (/proc, /sys, /dev) are left alone.
 */
export const ROOT_REWRITE_PREFIXES = ['etc', 'var', 'home', 'run', 'lib', 'opt', 'srv'] as const;

const ROOT_PATH_RE = new RegExp(`(^|[\\s'"=:(,;|&<>\`])(/(?:${ROOT_REWRITE_PREFIXES.join('|')})(?=/|[\\s'";|&)]|$))`, 'g');

/** Marks literal node paths in an audit command to live under the root (ROOT_MARK, see expandRootMarks). */
export function rewriteAuditForRoot(command: string): string {
  return command.replace(ROOT_PATH_RE, (_m, lead: string, p: string) => `${lead}${ROOT_MARK}${p}`);
}
