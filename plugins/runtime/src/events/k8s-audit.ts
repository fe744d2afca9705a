import type { K8sAuditEvent } from '../fields/k8saudit';

export type { K8sAuditEvent } from '../fields/k8saudit';

/** Why an input could not be used as an audit event. */
export interface MalformedInput {
  /** Position of the input: `line 3`, `item 2`. */
  where: string;
  reason: string;
}

export interface ParsedAuditEvents {
  events: K8sAuditEvent[];
  malformed: MalformedInput[];
}

const AUDIT_API = /^audit\.k8s\.io\/v1(beta1)?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 3339 (with up to nanoseconds) to ns since the epoch; undefined when unparseable. */
export function parseRfc3339Ns(text: unknown): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * Turns one decoded audit `Event` into an engine event, or explains why it is not one. The
 * timestamp is the stage timestamp (as the k8saudit plugin does), then `timestamp`, then
 * `requestReceivedTimestamp`.
 */
export function toAuditEvent(value: unknown, inList = false): K8sAuditEvent | string {
  if (!isObject(value)) return 'data not recognized as a k8s audit event: not a JSON object';
  // Items of an EventList usually carry no kind/apiVersion of their own (the list has them).
  if (!(inList && value['kind'] === undefined) && value['kind'] !== 'Event') return `data not recognized as a k8s audit event: kind is ${JSON.stringify(value['kind'])}, expected "Event"`;
  if (typeof value['apiVersion'] === 'string' && !AUDIT_API.test(value['apiVersion'])) {
    return `unsupported audit apiVersion ${JSON.stringify(value['apiVersion'])} (expected audit.k8s.io/v1 or v1beta1)`;
  }
  const timeNs = parseRfc3339Ns(value['stageTimestamp']) ?? parseRfc3339Ns(value['timestamp']) ?? parseRfc3339Ns(value['requestReceivedTimestamp']);
  if (timeNs === undefined) return 'audit event has no valid stageTimestamp, timestamp or requestReceivedTimestamp';
  return { source: 'k8s_audit', raw: value, timeNs };
}

/**
 * Parses what kube-apiserver's audit webhook backend sends (an `EventList`, audit.k8s.io/v1 or
 * v1beta1) or a single `Event`. Bad items are counted and skipped, never thrown.
 */
export function parseAuditPayload(value: unknown, where = 'body'): ParsedAuditEvents {
  const out: ParsedAuditEvents = { events: [], malformed: [] };
  if (isObject(value) && value['kind'] === 'EventList') {
    if (typeof value['apiVersion'] === 'string' && !AUDIT_API.test(value['apiVersion'])) {
      out.malformed.push({ where, reason: `unsupported audit apiVersion ${JSON.stringify(value['apiVersion'])}` });
      return out;
    }
    const items = value['items'];
    if (!Array.isArray(items)) {
      if (items !== undefined && items !== null) out.malformed.push({ where, reason: 'EventList.items is not an array' });
      return out;
    }
    items.forEach((item, i) => {
      const e = toAuditEvent(item, true);
      if (typeof e === 'string') out.malformed.push({ where: `${where} item ${i}`, reason: e });
      else out.events.push(e);
    });
    return out;
  }
  const e = toAuditEvent(value);
  if (typeof e === 'string') out.malformed.push({ where, reason: e });
  else out.events.push(e);
  return out;
}
