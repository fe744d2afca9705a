import { PLUGIN_KINDS, SEVERITIES } from '@bulkhead/plugin-sdk';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import { DEFAULT_QUEUE_PREFIX } from './job-options';
import { ChannelPublisher, parseChannelObject } from './channel-message';

/**
 * The Redis channel every newly stored finding is announced on (one per queue prefix, i.e. per
 * installation), whatever its kind: workers publish what their tasks inserted, API replicas
 * what they recorded themselves (HostFindings.record). Every API replica subscribes once and
 * hands the findings to its FindingEvents subscribers. The channel knows no plugin kind.
 */
export function findingsRaisedChannel(prefix: string): string {
  return `${prefix}:findings-raised`;
}

/**
 * A StoredFinding as it travels on the channel (JSON: times are ISO-8601 strings), with the team
 * it was stored under: replicas hand it only to that team's subscribers.
 */
export type RaisedFindingMessage = Omit<StoredFinding, 'firstSeenAt' | 'lastSeenAt' | 'resolvedAt' | 'reopenedAt'> & {
  team: string;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  reopenedAt: string | null;
};

/** A finding heard on the channel and the team it belongs to. */
export interface RaisedFinding {
  team: string;
  finding: StoredFinding;
}

const STRING_FIELDS = ['team', 'id', 'ruleId', 'title', 'target', 'fingerprint', 'status', 'firstSeenAt', 'lastSeenAt'] as const;

/** Parses a channel message back into the stored finding and its team; undefined for anything else (a message without a team included). */
export function parseRaisedFinding(message: string): RaisedFinding | undefined {
  const m = parseChannelObject(message);
  if (!m) return undefined;
  if (STRING_FIELDS.some((field) => typeof m[field] !== 'string')) return undefined;
  if (!(PLUGIN_KINDS as readonly unknown[]).includes(m['kind']) || !(SEVERITIES as readonly unknown[]).includes(m['severity'])) return undefined;
  if (typeof m['data'] !== 'object' || m['data'] === null || Array.isArray(m['data'])) return undefined;
  const wire = m as unknown as RaisedFindingMessage;
  const firstSeenAt = new Date(wire.firstSeenAt);
  const lastSeenAt = new Date(wire.lastSeenAt);
  if (Number.isNaN(firstSeenAt.getTime()) || Number.isNaN(lastSeenAt.getTime())) return undefined;
  const { team, ...finding } = wire;
  return {
    team,
    finding: {
      ...finding,
      location: typeof wire.location === 'string' ? wire.location : null,
      taskId: typeof wire.taskId === 'string' ? wire.taskId : null,
      reopened: wire.reopened === true,
      firstSeenAt,
      lastSeenAt,
      resolvedAt: typeof wire.resolvedAt === 'string' ? new Date(wire.resolvedAt) : null,
      reopenedAt: typeof wire.reopenedAt === 'string' ? new Date(wire.reopenedAt) : null,
    },
  };
}

/**
 * Publishes newly stored findings on the installation's findings channel, on a connection it
 * owns. Publishing is an announcement: the findings are already stored, so a failure loses none.
 */
export class FindingsPublisher extends ChannelPublisher {
  constructor(settings: { redisUrl: string; prefix?: string; connectionName?: string }) {
    super(findingsRaisedChannel(settings.prefix ?? DEFAULT_QUEUE_PREFIX), settings.redisUrl, settings.connectionName ?? 'bulkhead-findings-publisher');
  }

  /** Publishes one message per finding of `team`, in order, in one pipeline; rejects when Redis refused any. */
  async publish(team: string, findings: readonly StoredFinding[]): Promise<void> {
    if (findings.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const finding of findings) pipeline.publish(this.channel, JSON.stringify({ ...finding, team }));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }
}
