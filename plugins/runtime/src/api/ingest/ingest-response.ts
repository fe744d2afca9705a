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
