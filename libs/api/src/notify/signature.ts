import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a signed generic webhook (the receiver recomputes the HMAC to verify). */
export const SIGNATURE_HEADER = 'X-Bulkhead-Signature';
export const TIMESTAMP_HEADER = 'X-Bulkhead-Timestamp';

/**
 * `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). The timestamp (unix seconds) is
 * inside the MAC so a captured delivery cannot be replayed later with a fresh timestamp; receivers
 * should refuse timestamps older than a few minutes.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  if (!secret) throw new Error('webhook secret is empty: refusing to sign with an empty key');
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Constant-time check of a `sha256=<hex>` signature (what a receiver runs; used by our tests). */
export function verifyWebhookSignature(secret: string, timestamp: number, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
