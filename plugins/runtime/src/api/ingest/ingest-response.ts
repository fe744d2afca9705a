import { RULES_NOT_CONFIGURED } from '../detection';

/** An HTTP answer: the status and the JSON body. */
export interface IngestResponse {
  status: number;
  body: Record<string, unknown>;
}

/** Problems quoted back to the sender; the rest are only counted. */
const MAX_SAMPLES = 10;

/** Counts problems (malformed events, rejected alerts) and keeps the first few as `where: reason`. */
export class Samples {
  readonly items: string[] = [];
  count = 0;
  add(where: string, reason: string): void {
    this.count++;
    if (this.items.length < MAX_SAMPLES) this.items.push(`${where}: ${reason}`);
  }
}

export function notConfigured(): IngestResponse {
  return { status: 503, body: { error: RULES_NOT_CONFIGURED } };
}

/** 413, naming the setting an operator raises. */
export function tooLarge(message: string): IngestResponse {
  return { status: 413, body: { error: `${message} (BULKHEAD_MAX_EVENT_BODY_BYTES)` } };
}

/** 413: one request would store more alerts than BULKHEAD_MAX_FINDINGS_PER_REQUEST. */
export function tooManyFindings(count: number | string, limit: number): IngestResponse {
  return { status: 413, body: { error: `request would store ${count} alerts; at most ${limit} per request (BULKHEAD_MAX_FINDINGS_PER_REQUEST): send smaller batches` } };
}

/** 400: a body nested deeper than any event or alert is. */
export function tooDeep(where: string, limit: number): IngestResponse {
  return { status: 400, body: { error: `${where} is nested deeper than ${limit} levels` } };
}

/**
 * 415 unless the body's media type is one the route documents: a browser page cannot send
 * application/json or application/x-ndjson cross-site without a CORS preflight, which this API
 * never grants.
 */
export function unsupportedMediaType(contentType: string | undefined, accepted: readonly string[]): IngestResponse | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (accepted.includes(type)) return undefined;
  return { status: 415, body: { error: `content type ${type ? `"${type}"` : '(none)'} is not accepted; send ${accepted.join(' or ')}` } };
}
