/** What a notification is about; the rules (new CRITICAL finding, failed gate, runtime alert) produce these. */
export type NotificationEvent =
  | { type: 'finding.critical'; teamId: string; imageRef: string; findingIds: string[]; summary: string }
  | { type: 'gate.failed'; teamId: string; imageRef: string; gate: string; reasons: string[] }
  | { type: 'runtime.alert'; teamId: string; rule: string; priority: string; output: string };

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
    case 'gate.failed':
      return clip(`:no_entry: promotion gate ${event.gate} failed for ${event.imageRef}: ${event.reasons.slice(0, MAX_LIST).join('; ')}`);
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
