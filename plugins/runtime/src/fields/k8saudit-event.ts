/** The k8s audit event as the rules see it, and the JSON helpers its fields are read with. */

/**
 * One Kubernetes audit `Event` (audit.k8s.io/v1 or v1beta1) as the k8saudit plugin sees it: the
 * decoded JSON plus the event timestamp (ns since the epoch) the plugin assigns.
 */
export interface K8sAuditEvent {
  readonly source: 'k8s_audit';
  readonly raw: Record<string, unknown>;
  /** Nanoseconds since the epoch (from stageTimestamp, then timestamp). */
  readonly timeNs: bigint;
}

export type Json = unknown;

export function get(v: Json, ...keys: string[]): Json {
  let cur = v;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** The k8saudit plugin's jsonValueAsString: strings as-is, anything else as compact JSON. */
export function jsonText(v: Json): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
}

export function jsonString(v: Json): string | undefined {
  return v === undefined ? undefined : jsonText(v);
}

/** RFC 6901 JSON pointer (`~1` is `/`, `~0` is `~`). */
export function jsonPointer(doc: Json, pointer: string): Json {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return undefined;
  let cur = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      cur = cur[Number(token)];
    } else if (cur !== null && typeof cur === 'object') {
      cur = Object.prototype.hasOwnProperty.call(cur, token) ? (cur as Record<string, unknown>)[token] : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** RFC 3339 with nanoseconds, UTC, as Falco prints times: `2018-10-25T14:09:12.123456789Z`. */
export function formatRfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}
