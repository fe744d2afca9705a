import type { Severity } from '@bulkhead/plugin-sdk';
import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX } from './job-options';
import { createRedis } from './redis';

/**
 * The Redis channel new runtime alerts are published on (one per queue prefix, i.e. per
 * installation). API replicas publish the alerts they ingest or raise, workers the runtime
 * findings their tasks insert; every API replica's `alertRaised` subscribers hear both.
 */
export function alertsChannel(prefix: string): string {
  return `${prefix}:runtime-alerts`;
}

/** A newly stored runtime alert: the finding row's identity and times with the Falco-shaped alert (its data). */
export interface RaisedAlert {
  id: string;
  severity: Severity;
  target: string;
  alert: object;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** A RaisedAlert as it travels on the channel (JSON: times are ISO-8601 strings). */
export interface RaisedAlertMessage extends Omit<RaisedAlert, 'firstSeenAt' | 'lastSeenAt'> {
  firstSeenAt: string;
  lastSeenAt: string;
}

/** A stored runtime finding as the alert it announces (its data is the Falco alert). */
export function raisedAlertOf(finding: { id: string; severity: Severity; target: string; data: object; firstSeenAt: Date; lastSeenAt: Date }): RaisedAlert {
  return { id: finding.id, severity: finding.severity, target: finding.target, alert: finding.data, firstSeenAt: finding.firstSeenAt, lastSeenAt: finding.lastSeenAt };
}

/** Parses a channel message; undefined for anything that is not a raised alert. */
export function parseRaisedAlertMessage(message: string): RaisedAlertMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const ok =
    typeof m['id'] === 'string' &&
    typeof m['severity'] === 'string' &&
    typeof m['target'] === 'string' &&
    typeof m['alert'] === 'object' &&
    m['alert'] !== null &&
    typeof m['firstSeenAt'] === 'string' &&
    typeof m['lastSeenAt'] === 'string';
  return ok ? (m as unknown as RaisedAlertMessage) : undefined;
}

/**
 * Publishes new runtime alerts on the installation's alert channel, on a connection it owns.
 * Publishing is an announcement: the alerts are already stored, so a failure loses no alert.
 */
export class AlertPublisher {
  private readonly redis: Redis;
  readonly channel: string;

  constructor(settings: { redisUrl: string; prefix?: string; connectionName?: string }) {
    this.channel = alertsChannel(settings.prefix ?? DEFAULT_QUEUE_PREFIX);
    this.redis = createRedis(settings.redisUrl, 'publisher', { connectionName: settings.connectionName ?? 'bulkhead-alerts-publisher' });
    // Errors surface on the publish calls that fail; without a listener ioredis would also print them.
    this.redis.on('error', () => undefined);
  }

  /** Publishes in one pipeline; rejects when Redis refused any of them. */
  async publish(alerts: readonly RaisedAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const alert of alerts) pipeline.publish(this.channel, JSON.stringify(alert));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
