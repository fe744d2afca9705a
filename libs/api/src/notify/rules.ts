import type { NotificationEvent } from './messages';

/**
 * Runtime alert priorities, most severe first (the syslog-derived scale Falco-style rule engines
 * use). A channel with minimum `Critical` receives Emergency, Alert and Critical alerts.
 */
export const ALERT_PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;
export type AlertPriority = (typeof ALERT_PRIORITIES)[number];

/** The canonical spelling of a priority given in any case, or undefined when it is none. */
export function parseAlertPriority(value: string): AlertPriority | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'info') return 'Informational';
  return ALERT_PRIORITIES.find((p) => p.toLowerCase() === v);
}

export interface ChannelRules {
  onCriticalFindings: boolean;
  onFailedGates: boolean;
  /** null: runtime alerts are not sent to this channel. */
  runtimeAlertMinPriority: AlertPriority | null;
}

/** Whether a channel with these rules wants the event. */
export function ruleMatches(rules: ChannelRules, event: NotificationEvent): boolean {
  switch (event.type) {
    case 'finding.critical':
      return rules.onCriticalFindings;
    case 'gate.failed':
      return rules.onFailedGates;
    case 'runtime.alert': {
      if (!rules.runtimeAlertMinPriority) return false;
      const priority = parseAlertPriority(event.priority);
      // An alert of unknown priority is sent: dropping it silently would hide the unexpected.
      if (!priority) return true;
      return ALERT_PRIORITIES.indexOf(priority) <= ALERT_PRIORITIES.indexOf(rules.runtimeAlertMinPriority);
    }
  }
}
