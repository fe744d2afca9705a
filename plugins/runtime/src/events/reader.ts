import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { EngineEvent } from '../alerts/alert';
import { parseAuditPayload } from './k8s-audit';
import { validateSyscallEvent } from './syscall-event';

/** One input read from a source: an event, or a malformed input that is counted and skipped. */
export type InputItem = { kind: 'event'; event: EngineEvent } | { kind: 'malformed'; where: string; reason: string };

function isAuditShaped(v: Record<string, unknown>): boolean {
  return v['kind'] === 'EventList' || v['kind'] === 'Event' || (typeof v['apiVersion'] === 'string' && v['apiVersion'].startsWith('audit.k8s.io'));
}

/**
 * Classifies one decoded JSON value: a Kubernetes audit `Event` / `EventList`, or a syscall event
 * (an object with `evt.type`). Anything else is malformed, with the reason.
 */
export function classifyJson(value: unknown, where: string): InputItem[] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    if ('evt.type' in obj) {
      const e = validateSyscallEvent(obj);
      return typeof e === 'string' ? [{ kind: 'malformed', where, reason: e }] : [{ kind: 'event', event: { source: 'syscall', event: e } }];
    }
    if ('kind' in obj || isAuditShaped(obj)) {
      const parsed = parseAuditPayload(obj, where);
      return [
        ...parsed.events.map((event): InputItem => ({ kind: 'event', event: { source: 'k8s_audit', event } })),
        ...parsed.malformed.map((m): InputItem => ({ kind: 'malformed', where: m.where, reason: m.reason })),
      ];
    }
  }
  return [{ kind: 'malformed', where, reason: 'not a syscall event (no evt.type) nor a Kubernetes audit Event/EventList' }];
}

function parseLine(line: string, where: string): InputItem[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return [{ kind: 'malformed', where, reason: `invalid JSON: ${(error as Error).message}` }];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => classifyJson(v, `${where} item ${i}`));
  return classifyJson(value, where);
}

/** Inline values (an array of events or EventLists). */
export function* inlineInputs(values: readonly unknown[], label = 'inline'): Generator<InputItem> {
  for (let i = 0; i < values.length; i++) yield* classifyJson(values[i], `${label} item ${i}`);
}

/**
 * Streams the events of a file. `.jsonl` / `.ndjson` are read line by line (constant memory);
 * other files are parsed whole (a JSON array, an EventList, one event) and, when that fails,
 * line by line (Falco's audit trace files hold one Event per line).
 */
export async function* readInputFile(path: string, signal?: AbortSignal): AsyncGenerator<InputItem> {
  if (/\.(jsonl|ndjson)$/i.test(path)) {
    const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const line of rl) {
        n++;
        if (signal?.aborted) return;
        if (line.trim() === '') continue;
        yield* parseLine(line, `${path}:${n}`);
      }
    } finally {
      rl.close();
    }
    return;
  }
  const content = await readFile(path, 'utf8');
  let whole: unknown;
  let parsed: boolean;
  try {
    whole = JSON.parse(content);
    parsed = true;
  } catch {
    parsed = false;
  }
  if (parsed) {
    if (Array.isArray(whole)) {
      for (let i = 0; i < whole.length; i++) yield* classifyJson(whole[i], `${path} item ${i}`);
    } else yield* classifyJson(whole, path);
    return;
  }
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (signal?.aborted) return;
    const line = lines[i];
    if (line.trim() === '') continue;
    yield* parseLine(line, `${path}:${i + 1}`);
  }
}
