import type { SyscallEvent } from '../fields/syscall';
import { parseRfc3339Ns } from './k8s-audit';

export type { SyscallEvent } from '../fields/syscall';

/** A syscall event needs at least a string `evt.type`; everything else is optional. */
export function validateSyscallEvent(value: unknown): SyscallEvent | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'event is not a JSON object';
  const type = (value as Record<string, unknown>)['evt.type'];
  if (typeof type !== 'string' || type === '') return `event has no string 'evt.type'`;
  return value as SyscallEvent;
}

/** Event time in ns since the epoch: `evt.rawtime` (ns), else `evt.time` (RFC 3339), else 0. */
export function syscallEventTimeNs(e: SyscallEvent): bigint {
  const raw = e['evt.rawtime'];
  if (typeof raw === 'number' && Number.isFinite(raw)) return BigInt(Math.trunc(raw));
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return BigInt(raw);
  return parseRfc3339Ns(e['evt.time']) ?? 0n;
}
