import { Inject, Injectable } from '@nestjs/common';
import { connectionOf, FINDING_EVENTS, HOST_FINDINGS, pageRequest, type Connection, type FindingEvents, type HostFindings, type StoredFinding } from '@bulkhead/plugin-sdk/api';
import { parseFalcoAlert, type FalcoAlert } from '../../alerts/alert';
import { alertCriteria, alertFindingFilter, matchesAlert, type AlertFilterInput } from './alert-filter';
import { ALERT_TIME } from './alert-paths';
import type { Alert } from './alert.model';

/** Reads stored runtime alerts (findings of kind runtime) and follows new ones. */
@Injectable()
export class AlertService {
  constructor(
    @Inject(HOST_FINDINGS) private readonly findings: HostFindings,
    @Inject(FINDING_EVENTS) private readonly events: FindingEvents,
  ) {}

  /** Newest alert time first, ties by id (the order IDX_finding_runtime_time serves). */
  async list(filter: AlertFilterInput | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Alert>> {
    const criteria = alertCriteria(filter);
    const page = await this.findings.query(alertFindingFilter(criteria), pageRequest(first, after), { dataPath: ALERT_TIME, descending: true });
    return connectionOf(page, (finding) => toAlertModel(finding, finding.data as unknown as FalcoAlert));
  }

  /**
   * New alerts matching the filter, from any API replica or worker, until the client
   * unsubscribes. Fed by the host's finding events (kind runtime); a runtime finding that is
   * not a Falco alert (another runtime plugin's) is not an alert and is skipped.
   */
  raised(filter: AlertFilterInput | null | undefined): AsyncIterableIterator<Alert> {
    const criteria = alertCriteria(filter);
    const stop = new AbortController();
    const live = this.events.subscribe({ kinds: ['runtime'], ...(criteria.rule !== undefined ? { ruleIds: [criteria.rule] } : {}) }, stop.signal);
    const iterator: AsyncIterableIterator<Alert> = {
      next: async () => {
        for (;;) {
          const result = await live.next();
          if (result.done) return { value: undefined, done: true };
          const parsed = parseFalcoAlert(result.value.data);
          if ('alert' in parsed && matchesAlert(criteria, parsed.alert)) return { value: toAlertModel(result.value, parsed.alert), done: false };
        }
      },
      // An unsubscribing client frees its subscription at once, even while next() waits.
      return: async () => {
        stop.abort();
        await live.return?.();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

export function toAlertModel(finding: StoredFinding, alert: FalcoAlert): Alert {
  return {
    id: finding.id,
    output: alert.output,
    priority: alert.priority,
    rule: alert.rule,
    time: alert.time,
    outputFields: alert.output_fields ?? {},
    source: alert.source,
    tags: alert.tags ?? [],
    hostname: alert.hostname ?? null,
    severity: finding.severity,
    target: finding.target,
    firstSeenAt: finding.firstSeenAt,
    lastSeenAt: finding.lastSeenAt,
  };
}
