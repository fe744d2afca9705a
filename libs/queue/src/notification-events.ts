import { randomUUID } from 'node:crypto';
import { BadInputError, checkPlatformNotification, type PlatformNotification } from '@bulkhead/plugin-sdk';
import { DEFAULT_QUEUE_PREFIX } from './job-options';
import { ChannelPublisher, parseChannelObject } from './channel-message';

/**
 * The Redis channel plugins' notifications travel on (one per installation), from a worker's
 * `TaskPlatform.notify` or an API replica's `HOST_NOTIFICATIONS` to the API replicas'
 * notification dispatchers. Like findings-raised: the worker has no HTTP and knows no channel.
 */
export function notificationsRaisedChannel(prefix: string): string {
  return `${prefix}:notifications-raised`;
}

/** A notification on the channel: the event, its team and where it came from. */
export interface RaisedNotification {
  /**
   * Stable id of this announcement: every replica that hears it queues one delivery per channel
   * under it. From a task: derived from the task, category and subject, so a retried task does
   * not notify twice.
   */
  id: string;
  team: string;
  /** The plugin that raised it (its manifest id), when known. */
  plugin: string | null;
  taskId: string | null;
  event: PlatformNotification;
}

/** Parses a channel message; undefined for anything malformed (a message is never trusted blindly). */
export function parseRaisedNotification(message: string): RaisedNotification | undefined {
  const m = parseChannelObject(message);
  if (!m) return undefined;
  if (typeof m['id'] !== 'string' || typeof m['team'] !== 'string' || m['team'] === '') return undefined;
  const optional = (field: string): string | null | undefined => (m[field] === null || m[field] === undefined ? null : typeof m[field] === 'string' ? m[field] : undefined);
  const plugin = optional('plugin');
  const taskId = optional('taskId');
  if (plugin === undefined || taskId === undefined) return undefined;
  try {
    return { id: m['id'].slice(0, 200), team: m['team'], plugin, taskId, event: checkPlatformNotification(m['event']) };
  } catch {
    return undefined;
  }
}

/** Publishes notifications on the installation's channel, on a connection it owns. */
export class NotificationsPublisher extends ChannelPublisher {
  constructor(settings: { redisUrl: string; prefix?: string; connectionName?: string }) {
    super(notificationsRaisedChannel(settings.prefix ?? DEFAULT_QUEUE_PREFIX), settings.redisUrl, settings.connectionName ?? 'bulkhead-notifications-publisher');
  }

  /**
   * Checks the event (a BadInputError names the bad field) and announces it for `team`; rejects
   * when Redis refused it. Returns the announcement's id.
   */
  async publish(team: string, event: unknown, source: { plugin?: string | null; taskId?: string | null; id?: string } = {}): Promise<string> {
    if (!team) throw new BadInputError('notification: no team to notify');
    const checked = checkPlatformNotification(event);
    const raised: RaisedNotification = { id: source.id ?? randomUUID(), team, plugin: source.plugin ?? null, taskId: source.taskId ?? null, event: checked };
    await this.redis.publish(this.channel, JSON.stringify(raised));
    return raised.id;
  }
}
