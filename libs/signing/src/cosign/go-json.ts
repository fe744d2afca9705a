/**
 * JSON text as Go's encoding/json writes it, so payloads we build are byte-identical to cosign's:
 * map keys sorted (Go sorts map[string]any keys), no spaces, and <, >, & and U+2028/U+2029
 * escaped as \u003c, \u003e, \u0026, \u2028, \u2029 (Go's HTML-safe default).
 *
 * Objects passed in `ordered` positions keep their insertion order (Go struct fields); every
 * other object is treated as a Go map and sorted.
 */
export function goJson(value: unknown, keepOrder = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('goJson: a number that is not finite cannot be encoded');
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((v) => goJson(v)).join(',')}]`;
  if (value instanceof GoStruct) return `{${value.entries.map(([k, v]) => `${goString(k)}:${goJson(v)}`).join(',')}}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value as object);
    if (!keepOrder) keys.sort(compareUtf8);
    return `{${keys.map((k) => `${goString(k)}:${goJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  throw new Error(`goJson: cannot encode a ${typeof value}`);
}

/** An object whose fields keep their order (a Go struct), inside goJson. */
export class GoStruct {
  constructor(readonly entries: Array<[string, unknown]>) {}
}

export function struct(fields: Record<string, unknown>): GoStruct {
  return new GoStruct(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go sorts map keys by bytes; for UTF-16 strings that is code point order, not UTF-16 unit order. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
