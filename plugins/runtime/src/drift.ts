import type { FalcoAlert } from './alerts/alert';
import { buildAlert } from './alerts/alert';
import type { CompiledRule } from './engine/loader';
import { compileOutput } from './engine/output-format';
import type { Priority } from './engine/priority';
import { syscallFields, type SyscallEvent } from './fields/syscall';
import type { FieldSource } from './fields/types';

/**
 * What the platform knows about an image's file system, backed by scanner results (package file
 * lists plus the executables found in the layers).
 */
export interface ImageInventory {
  /** True when `path` (absolute, normalised) is an executable shipped in the image. */
  hasExecutable(path: string): boolean;
}

/** Looks up the inventory of an image by its digest (`sha256:...`); undefined when unknown. */
export type InventoryLookup = (imageDigest: string) => ImageInventory | undefined;

/** An inventory over a set of paths (e.g. the executable files of a scan). */
export class PathSetInventory implements ImageInventory {
  private readonly paths: ReadonlySet<string>;
  constructor(paths: Iterable<string>) {
    this.paths = new Set([...paths].map(normalisePath));
  }
  hasExecutable(path: string): boolean {
    return this.paths.has(normalisePath(path));
  }
}

/** `/usr//bin/./ls` → `/usr/bin/ls`; `usr/bin/ls` → `/usr/bin/ls`; resolves `..`. */
export function normalisePath(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

export const DRIFT_RULE_NAME = 'Drift Detected';
const DRIFT_OUTPUT =
  'Drift detected: a process ran an executable that is not part of its image (proc.exepath=%proc.exepath proc.cmdline=%proc.cmdline proc.pname=%proc.pname user.name=%user.name container.id=%container.id container.name=%container.name image=%container.image.repository digest=%container.image.digest k8s.ns.name=%k8s.ns.name k8s.pod.name=%k8s.pod.name)';

export interface DriftOptions {
  priority?: Priority;
  hostname?: string;
}

const EXEC_TYPES = new Set(['execve', 'execveat']);

/** The synthetic rule drift alerts are attributed to (same alert shape as any Falco rule). */
export function driftRule(priority: Priority = 'Critical'): CompiledRule {
  return {
    name: DRIFT_RULE_NAME,
    description: 'An executable that is not in the image inventory of the container was executed (container drift).',
    priority,
    source: 'syscall',
    tags: ['container', 'drift', 'mitre_execution', 'T1059'],
    enabled: true,
    index: -1,
    condition: 'evt.type in (execve, execveat) and evt.dir=< and container.id!=host and not proc.exepath in (image inventory)',
    predicate: () => true,
    output: compileOutput(DRIFT_OUTPUT, syscallFields as FieldSource<unknown>),
    outputTemplate: DRIFT_OUTPUT,
    eventTypes: { neg: false, set: new Set(EXEC_TYPES) },
  };
}

export type DriftVerdict =
  | { drift: true; alert: FalcoAlert }
  | { drift: false; reason: 'not-exec' | 'failed-exec' | 'host-process' | 'no-executable-path' | 'no-image-digest' | 'unknown-image' | 'in-image' };

/**
 * Decides whether an exec event is drift: a successful execve/execveat (exit event) in a
 * container whose executable path is not in the inventory of the container's image
 * (`container.image.digest`). Unknown images are not judged (no inventory, no verdict).
 */
export function detectDrift(event: SyscallEvent, lookup: InventoryLookup, options: DriftOptions = {}): DriftVerdict {
  const type = event['evt.type'];
  if (typeof type !== 'string' || !EXEC_TYPES.has(type)) return { drift: false, reason: 'not-exec' };
  const dir = event['evt.dir'];
  if (dir !== undefined && dir !== '<') return { drift: false, reason: 'not-exec' };
  const res = event['evt.rawres'] ?? event['evt.res'];
  if ((typeof res === 'number' && res < 0) || (typeof res === 'string' && res !== 'SUCCESS' && res !== '0')) return { drift: false, reason: 'failed-exec' };
  const container = event['container.id'];
  if (typeof container !== 'string' || container === '' || container === 'host') return { drift: false, reason: 'host-process' };
  const exe = typeof event['proc.exepath'] === 'string' ? event['proc.exepath'] : typeof event['proc.exe'] === 'string' && event['proc.exe'].startsWith('/') ? event['proc.exe'] : undefined;
  if (!exe) return { drift: false, reason: 'no-executable-path' };
  const digest = event['container.image.digest'];
  if (typeof digest !== 'string' || digest === '') return { drift: false, reason: 'no-image-digest' };
  const inventory = lookup(digest);
  if (!inventory) return { drift: false, reason: 'unknown-image' };
  if (inventory.hasExecutable(normalisePath(exe))) return { drift: false, reason: 'in-image' };
  const rule = driftRule(options.priority);
  return { drift: true, alert: buildAlert(rule, { source: 'syscall', event }, options.hostname) };
}
