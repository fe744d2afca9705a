import { parseFalcoAlert } from '@bulkhead/plugin-runtime';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import type { RedisFindingEvents } from '../host/finding-events';
import type { StoredAlert } from './alert-store';

/** A stored runtime finding as an alert, when its data is a Falco alert (a third-party runtime plugin's may not be). */
export function alertOfFinding(finding: StoredFinding): StoredAlert | undefined {
  const parsed = parseFalcoAlert(finding.data);
  if (!('alert' in parsed)) return undefined;
  return { id: finding.id, severity: finding.severity, target: finding.target, alert: parsed.alert, firstSeenAt: finding.firstSeenAt, lastSeenAt: finding.lastSeenAt };
}

/**
 * New alerts for `alertRaised`: the runtime findings among the host's finding events (the
 * generic findings channel, fed by workers and by every API replica's HostFindings.record).
 */
export class AlertEvents {
  constructor(private readonly findings: RedisFindingEvents) {}

  /** Every alert stored from now on, until the consumer stops iterating. */
  async subscribe(): Promise<AsyncIterableIterator<StoredAlert>> {
    const stop = new AbortController();
    const live = this.findings.subscribe({ kinds: ['runtime'] }, stop.signal);
    const iterator: AsyncIterableIterator<StoredAlert> = {
      next: async () => {
        for (;;) {
          const result = await live.next();
          if (result.done) return { value: undefined, done: true };
          const alert = alertOfFinding(result.value);
          if (alert) return { value: alert, done: false };
        }
      },
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
