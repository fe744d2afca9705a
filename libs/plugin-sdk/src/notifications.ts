import { BadInputError } from './errors';
import { SEVERITIES, type Severity } from './results';

/*
 * Notifications a plugin raises. The host owns the channels (webhook, Slack), their per-team
 * rules, signing, retries and the delivery log; a plugin only says that something happened, in
 * the SDK's words below, for the team it acts in (a task's team on a worker, the request's team
 * in an API module). The host maps each category to the channel rule that selects it, so it
 * never needs to know which plugin raised the event.
 *
 * Why categories from a small SDK list and not free strings: a channel's rules are columns an
 * operator sets (`onFailedGates`); a category nothing can subscribe to would be sent nowhere, and
 * a plugin inventing one would be silently ignored. A new category is an SDK change with its rule.
 */

/** What a notification is about. GATE_FAILED: a promotion gate refused an image (channel rule `onFailedGates`). */
export const NOTIFICATION_CATEGORIES = ['GATE_FAILED'] as const;
export type NotificationCategory = (typeof NOTIFICATION_CATEGORIES)[number];

export interface PlatformNotification {
  category: NotificationCategory;
  severity: Severity;
  /** One line, at most 200 characters. */
  title: string;
  /** What happened, at most 2,000 characters. */
  summary: string;
  /** The image or reference it is about (at most 1,024 characters). */
  subject?: string;
  /** Where a person reads more: an http(s) URL (at most 2,048 characters). */
  link?: string;
  /** The reasons, one line each: at most 50, each at most 500 characters. */
  details?: readonly string[];
}

/** Raising notifications: `TaskPlatform.notify` on a worker, the `HOST_NOTIFICATIONS` capability in an API module. */
export interface PlatformNotifier {
  /**
   * Announces the event to the team's notification channels whose rules select its category.
   * Resolves once the host has taken it (not when it is delivered: delivery is retried by the
   * host and logged). A malformed event is refused with a BadInputError naming the field.
   */
  notify(event: PlatformNotification): Promise<void>;
}

export const NOTIFICATION_LIMITS = { title: 200, summary: 2_000, subject: 1_024, link: 2_048, details: 50, detail: 500 } as const;

/**
 * The event checked field by field (what the host runs before it announces one; a plugin may run
 * it too). Unknown fields are dropped; strings keep their text, control characters excepted.
 */
export function checkPlatformNotification(value: unknown): PlatformNotification {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadInputError('notification: expected an object');
  const v = value as Record<string, unknown>;
  if (!(NOTIFICATION_CATEGORIES as readonly unknown[]).includes(v['category'])) {
    throw new BadInputError(`notification.category: ${JSON.stringify(v['category'])} is not one of ${NOTIFICATION_CATEGORIES.join(', ')}`);
  }
  if (!(SEVERITIES as readonly unknown[]).includes(v['severity'])) {
    throw new BadInputError(`notification.severity: ${JSON.stringify(v['severity'])} is not one of ${SEVERITIES.join(', ')}`);
  }
  const event: PlatformNotification = {
    category: v['category'] as NotificationCategory,
    severity: v['severity'] as Severity,
    title: text(v, 'title', NOTIFICATION_LIMITS.title, true) as string,
    summary: text(v, 'summary', NOTIFICATION_LIMITS.summary, true) as string,
  };
  const subject = text(v, 'subject', NOTIFICATION_LIMITS.subject, false);
  if (subject !== undefined) event.subject = subject;
  const link = text(v, 'link', NOTIFICATION_LIMITS.link, false);
  if (link !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(link);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new BadInputError('notification.link: not an http(s) URL');
    event.link = url.href;
  }
  if (v['details'] !== undefined) {
    const details = v['details'];
    if (!Array.isArray(details)) throw new BadInputError('notification.details: expected a list of strings');
    if (details.length > NOTIFICATION_LIMITS.details) throw new BadInputError(`notification.details: ${details.length} lines, at most ${NOTIFICATION_LIMITS.details}`);
    event.details = details.map((d, i) => {
      if (typeof d !== 'string') throw new BadInputError(`notification.details[${i}]: expected a string`);
      return clean(d).slice(0, NOTIFICATION_LIMITS.detail);
    });
  }
  return event;
}

function text(v: Record<string, unknown>, field: string, max: number, required: boolean): string | undefined {
  const value = v[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string') throw new BadInputError(`notification.${field}: expected a string`);
  const cleaned = clean(value).trim();
  if (required && cleaned === '') throw new BadInputError(`notification.${field}: empty`);
  if (cleaned.length > max) throw new BadInputError(`notification.${field}: ${cleaned.length} characters, at most ${max}`);
  return cleaned;
}

// Control characters (a newline in a title, terminal escapes) would forge lines in logs and chat messages.
function clean(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ');
}
