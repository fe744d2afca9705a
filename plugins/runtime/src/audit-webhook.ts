import type { FalcoAlert } from './alerts/alert';
import type { RuleEngine } from './engine/engine';
import { EventEvaluator } from './engine/evaluator';
import { parseAuditPayload, type MalformedInput } from './events/k8s-audit';

/** Default body limit: kube-apiserver batches are small (the webhook batch max is 10 000 events). */
export const DEFAULT_MAX_AUDIT_BODY_BYTES = 8 * 1024 * 1024;

export interface AuditWebhookResult {
  /** 200 accepted, 400 not an audit payload, 413 body too large (HTTP semantics for the API). */
  status: 200 | 400 | 413;
  alerts: FalcoAlert[];
  events: number;
  malformed: MalformedInput[];
  error?: string;
}

export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  constructor(readonly limit: number) {
    super(`request body exceeds the limit of ${limit} bytes`);
  }
}

/**
 * Reads a request body, stopping as soon as it grows past `limit` (so an oversized body is
 * never buffered whole). Throws PayloadTooLargeError.
 */
export async function readLimitedBody(chunks: AsyncIterable<Uint8Array | string>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += b.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export interface AuditWebhookOptions {
  engine: RuleEngine;
  maxBodyBytes?: number;
  hostname?: string;
}

/**
 * The Kubernetes audit webhook receiver, HTTP-agnostic: the API app mounts it on a route and
 * maps `status` to the response. Takes the body bytes (kube-apiserver sends an `EventList`),
 * enforces the size limit, evaluates every event and returns the alerts in event order.
 */
export class AuditWebhookHandler {
  readonly maxBodyBytes: number;
  private readonly evaluator: EventEvaluator;

  constructor(options: AuditWebhookOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_AUDIT_BODY_BYTES;
    this.evaluator = new EventEvaluator(options.engine, options.hostname);
  }

  handle(body: Uint8Array | string): AuditWebhookResult {
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (size > this.maxBodyBytes) {
      return { status: 413, alerts: [], events: 0, malformed: [], error: `request body of ${size} bytes exceeds the limit of ${this.maxBodyBytes} bytes` };
    }
    let value: unknown;
    try {
      value = JSON.parse(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch (error) {
      return { status: 400, alerts: [], events: 0, malformed: [], error: `body is not JSON: ${(error as Error).message}` };
    }
    const parsed = parseAuditPayload(value);
    // A problem with the payload itself (not with one item of an EventList) rejects the request.
    const payloadProblem = parsed.malformed.find((m) => m.where === 'body');
    if (payloadProblem) return { status: 400, alerts: [], events: 0, malformed: parsed.malformed, error: payloadProblem.reason };
    const alerts: FalcoAlert[] = [];
    for (const event of parsed.events) alerts.push(...this.evaluator.evaluate({ source: 'k8s_audit', event }));
    return { status: 200, alerts, events: parsed.events.length, malformed: parsed.malformed };
  }

  /** Reads a streamed body with the limit applied while reading, then handles it. */
  async handleStream(chunks: AsyncIterable<Uint8Array | string>): Promise<AuditWebhookResult> {
    try {
      return this.handle(await readLimitedBody(chunks, this.maxBodyBytes));
    } catch (error) {
      if (error instanceof PayloadTooLargeError) return { status: 413, alerts: [], events: 0, malformed: [], error: error.message };
      throw error;
    }
  }
}
