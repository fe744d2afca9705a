import type { NotificationCategory } from '@bulkhead/plugin-sdk';

/** What a notification is about; the rules (new CRITICAL finding, failed gate, runtime alert) produce these. */
export type NotificationEvent =
  | { type: 'finding.critical'; teamId: string; imageRef: string; findingIds: string[]; summary: string }
  | PluginEventNotification
  | { type: 'runtime.alert'; teamId: string; rule: string; priority: string; output: string };

/**
 * A notification a plugin raised (SDK `PlatformNotification`), under the event type its category
 * maps to. Its texts were checked and bounded by the SDK (checkPlatformNotification).
 */
export interface PluginEventNotification {
  type: 'gate.failed';
  teamId: string;
  category: NotificationCategory;
  severity: string;
  title: string;
  summary: string;
  subject: string | null;
  link: string | null;
  details: string[];
  /** The plugin and task that raised it, when known. */
  plugin: string | null;
  taskId: string | null;
}

/** The event type of each SDK notification category (what channel rules and the delivery log name). */
export const CATEGORY_EVENT_TYPES: Record<NotificationCategory, PluginEventNotification['type']> = { GATE_FAILED: 'gate.failed' };

export type ChannelKind = 'WEBHOOK' | 'SLACK';

// A message is one HTTP body: long lists are cut so a finding storm cannot produce a multi-MB POST.
const MAX_LIST = 20;
const MAX_TEXT = 2_000;

function clip(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One line a human reads (Slack text, and `summary` of the generic payload). */
export function describeEvent(event: NotificationEvent): string {
  switch (event.type) {
    case 'finding.critical':
      return clip(`:rotating_light: ${event.findingIds.length} new CRITICAL finding(s) on ${event.imageRef}: ${event.summary}`);
    case 'gate.failed': {
      const details = event.details.length > 0 ? `: ${event.details.slice(0, MAX_LIST).join('; ')}` : '';
      const link = event.link ? ` (${event.link})` : '';
      // The subject is named once: a title usually says it already.
      const subject = event.subject && !event.title.includes(event.subject) ? ` [${event.subject}]` : '';
      return clip(`:no_entry: ${event.title}${subject}: ${event.summary}${details}${link}`);
    }
    case 'runtime.alert':
      return clip(`:warning: runtime alert ${event.rule} (${event.priority}): ${event.output}`);
  }
}

/** The request body for a channel kind: a versioned JSON document, or a Slack incoming-webhook message. */
export function renderMessage(kind: ChannelKind, event: NotificationEvent, deliveryId: string): string {
  if (kind === 'SLACK') {
    // Slack (and compatibles: Mattermost, Rocket.Chat) take `text`; mrkdwn escaping of &, <, >.
    const text = describeEvent(event).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    return JSON.stringify({ text });
  }
  const event_ =
    event.type === 'finding.critical' ? { ...event, findingIds: event.findingIds.slice(0, MAX_LIST), findingCount: event.findingIds.length } : event;
  return JSON.stringify({ version: 1, deliveryId, summary: describeEvent(event), event: event_ });
}
