import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { renderMessage, type ChannelKind, type NotificationEvent } from './messages';
import { RefusedDestinationError, type NotifyDestinationPolicy } from './destination-policy';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signature';

export interface NotificationChannelTarget {
  kind: ChannelKind;
  url: string;
  /** HMAC key of a WEBHOOK channel (decrypted by the caller; never logged or returned). */
  secret?: string;
}

export interface DeliveryOutcome {
  statusCode: number;
  durationMs: number;
}

/** An attempt that failed; `retryable` tells the queue whether another attempt can help. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(message: string, readonly retryable: boolean, readonly statusCode?: number) {
    super(message);
  }
}

const TIMEOUT_MS = 10_000;
// We read only enough of the answer to log it; a hostile receiver cannot make us buffer more.
const MAX_RESPONSE_BYTES = 4_096;

/**
 * One POST to a channel. Redirects are not followed (a 3xx is a permanent failure: following it
 * would leave the allow-list). 5xx, 429, timeouts and network errors are retryable; other 4xx and
 * refused destinations are not.
 */
export async function deliverOnce(
  channel: NotificationChannelTarget,
  event: NotificationEvent,
  deliveryId: string,
  policy: NotifyDestinationPolicy,
  now: () => number = Date.now,
): Promise<DeliveryOutcome> {
  let url: URL;
  try {
    url = new URL(channel.url);
  } catch {
    throw new DeliveryError(`notification URL is not a valid URL`, false);
  }
  try {
    policy.checkUrl(url);
  } catch (error) {
    throw new DeliveryError((error as Error).message, false);
  }
  const body = renderMessage(channel.kind, event, deliveryId);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'user-agent': 'bulkhead-notify/1',
    'x-bulkhead-delivery': deliveryId,
  };
  if (channel.kind === 'WEBHOOK') {
    if (!channel.secret) throw new DeliveryError('webhook channel has no signing secret', false);
    const timestamp = Math.floor(now() / 1000);
    headers[TIMESTAMP_HEADER] = String(timestamp);
    headers[SIGNATURE_HEADER] = signWebhook(channel.secret, timestamp, body);
  }
  const started = Date.now();
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryOutcome>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, lookup: policy.lookup, timeout: TIMEOUT_MS }, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) res.destroy();
      });
      const finish = (): void => {
        const statusCode = res.statusCode ?? 0;
        const durationMs = Date.now() - started;
        if (statusCode >= 200 && statusCode < 300) return resolve({ statusCode, durationMs });
        const retryable = statusCode >= 500 || statusCode === 429 || statusCode === 408;
        const why = statusCode >= 300 && statusCode < 400 ? ' (redirects are not followed)' : '';
        reject(new DeliveryError(`receiver answered HTTP ${statusCode}${why}`, retryable, statusCode));
      };
      res.on('end', finish);
      res.on('close', () => (res.complete ? undefined : finish()));
      res.on('error', () => undefined);
    });
    req.on('timeout', () => req.destroy(new DeliveryError(`no answer within ${TIMEOUT_MS} ms`, true)));
    // `timeout` above is per idle socket; this bounds the whole exchange (a receiver dripping bytes).
    const deadline = setTimeout(() => req.destroy(new DeliveryError(`delivery took longer than ${TIMEOUT_MS} ms`, true)), TIMEOUT_MS);
    deadline.unref();
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (error) => {
      if (error instanceof DeliveryError) return reject(error);
      if (error instanceof RefusedDestinationError) return reject(new DeliveryError(error.message, false));
      reject(new DeliveryError(`request failed: ${error.message}`, true));
    });
    req.end(body);
  });
}
