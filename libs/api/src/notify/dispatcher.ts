import { createRedis, findingsRaisedChannel, notificationsRaisedChannel, parseRaisedFinding, parseRaisedNotification, subscribeWhenReady, type RaisedFinding, type RaisedNotification } from '@bulkhead/queue';
import type { Redis } from 'ioredis';
import type { NotificationChannelRow } from './channel-store';
import { CATEGORY_EVENT_TYPES, type NotificationEvent } from './messages';
import { ruleMatches } from './rules';

export interface DispatcherDeps {
  channels: { enabledChannels(team: string): Promise<NotificationChannelRow[]> };
  queue: { enqueue(channelId: string, event: NotificationEvent, dedupeKey?: string): Promise<string> };
  logger: { warn(obj: object, msg: string): void };
  /** Critical findings of one task and target heard within this window go out as one message. */
  batchMs?: number;
}

interface Batch { team: string; target: string; ids: string[]; titles: string[]; timer: NodeJS.Timeout }

/**
 * Turns stored findings into notifications: new CRITICAL findings (batched per task and target),
 * and runtime alerts (findings carrying `data.priority`, one message each) for channels whose
 * minimum priority they reach; and passes on what plugins raise (SDK categories, e.g. a failed
 * promotion gate). Knows no plugin: it reads only the finding's generic fields and the SDK event.
 */
export class NotificationDispatcher {
  private readonly batches = new Map<string, Batch>();
  private readonly batchMs: number;
  private subscriber: Redis | undefined;
  private pending = new Set<Promise<void>>();

  constructor(private readonly deps: DispatcherDeps) {
    this.batchMs = deps.batchMs ?? 2_000;
  }

  /**
   * Listens, with a connection of its own, on the installation's findings-raised channel and on
   * its notifications channel (what plugins raise through TaskPlatform.notify / HOST_NOTIFICATIONS).
   */
  async start(settings: { redisUrl: string; prefix: string }): Promise<void> {
    const findings = findingsRaisedChannel(settings.prefix);
    const notifications = notificationsRaisedChannel(settings.prefix);
    const subscriber = createRedis(settings.redisUrl, 'subscriber', { connectionName: 'bulkhead-api-notify' });
    subscriber.on('error', (error: Error) => this.deps.logger.warn({ err: error.message }, 'notify subscriber connection error'));
    subscriber.on('message', (ch: string, message: string) => {
      if (ch === findings) {
        const raised = parseRaisedFinding(message);
        if (raised) this.handle(raised);
      } else if (ch === notifications) {
        const raised = parseRaisedNotification(message);
        if (raised) this.handleNotification(raised);
        else this.deps.logger.warn({ channel: ch }, 'malformed notification ignored');
      }
    });
    this.subscriber = subscriber;
    await subscribeWhenReady(subscriber, findings, notifications);
  }

  /** A plugin's notification: to every enabled channel of its team whose rule selects its category. */
  handleNotification({ id, team, plugin, taskId, event }: RaisedNotification): void {
    const notification: NotificationEvent = {
      type: CATEGORY_EVENT_TYPES[event.category],
      teamId: team,
      category: event.category,
      severity: event.severity,
      title: event.title,
      summary: event.summary,
      subject: event.subject ?? null,
      link: event.link ?? null,
      details: [...(event.details ?? [])],
      plugin,
      taskId,
    };
    this.track(this.dispatch(team, notification, `notification:${id}`));
  }

  handle({ team, finding }: RaisedFinding): void {
    // Only findings that are open now are news (suppressed ones were silenced on purpose).
    if (finding.status !== 'OPEN') return;
    const priority = typeof finding.data['priority'] === 'string' ? finding.data['priority'] : undefined;
    if (finding.kind === 'runtime' && priority) {
      const output = typeof finding.data['output'] === 'string' ? finding.data['output'] : finding.title;
      this.track(this.dispatch(team, { type: 'runtime.alert', teamId: team, rule: finding.ruleId, priority, output }, `alert:${finding.id}`));
      return;
    }
    if (finding.severity !== 'CRITICAL') return;
    const key = `${team}\n${finding.taskId ?? '-'}\n${finding.target}`;
    let batch = this.batches.get(key);
    if (!batch) {
      const created: Batch = { team, target: finding.target, ids: [], titles: [], timer: setTimeout(() => this.flush(key), this.batchMs) };
      created.timer.unref();
      this.batches.set(key, created);
      batch = created;
    }
    batch.ids.push(finding.id);
    if (batch.titles.length < 5) batch.titles.push(`${finding.ruleId} ${finding.title}`.slice(0, 200));
  }

  /** Sends the open batches now and waits for every enqueue in flight (shutdown, tests). */
  async drain(): Promise<void> {
    for (const key of [...this.batches.keys()]) this.flush(key);
    await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.drain();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private flush(key: string): void {
    const batch = this.batches.get(key);
    if (!batch) return;
    this.batches.delete(key);
    clearTimeout(batch.timer);
    const ids = [...batch.ids].sort();
    const more = batch.ids.length > batch.titles.length ? ` and ${batch.ids.length - batch.titles.length} more` : '';
    const event: NotificationEvent = { type: 'finding.critical', teamId: batch.team, imageRef: batch.target, findingIds: ids, summary: `${batch.titles.join('; ')}${more}` };
    this.track(this.dispatch(batch.team, event, `critical:${ids.join(',')}`));
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async dispatch(team: string, event: NotificationEvent, dedupeKey: string): Promise<void> {
    try {
      const channels = await this.deps.channels.enabledChannels(team);
      for (const channel of channels) {
        if (ruleMatches(channel, event)) await this.deps.queue.enqueue(channel.id, event, dedupeKey);
      }
    } catch (error) {
      // A plugin's event names the task that raised it: the line carries it (once).
      const source = 'taskId' in event && event.taskId ? { taskId: event.taskId } : {};
      this.deps.logger.warn({ team, event: event.type, ...source, err: (error as Error).message }, 'notification not queued');
    }
  }
}
