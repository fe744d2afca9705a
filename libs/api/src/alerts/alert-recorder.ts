import type { Logger } from '@bulkhead/common';
import { alertToFinding, type AlertOutput, type EngineEvent, type FalcoAlert } from '@bulkhead/plugin-runtime';
import type { AlertEvents } from './alert-events';
import type { AlertStore, StoredAlert } from './alert-store';

/** An alert and, when it was raised here, the event that raised it (a better target than output fields). */
export interface RaisedAlert {
  alert: FalcoAlert;
  event?: EngineEvent;
}

/**
 * Where every alert the API receives or raises goes: stored as runtime findings (one batched
 * upsert per call), then the new ones are published for `alertRaised` subscribers and sent to
 * the configured outputs. A re-sent alert is stored once and published once.
 */
export class AlertRecorder {
  constructor(
    private readonly store: AlertStore,
    private readonly events: AlertEvents,
    private readonly outputs: readonly AlertOutput[],
    private readonly logger: Logger,
  ) {}

  /** Returns the alerts that were new. Throws when they could not be stored (the sender should retry). */
  async record(raised: readonly RaisedAlert[]): Promise<StoredAlert[]> {
    if (raised.length === 0) return [];
    const findings = raised.map(({ alert, event }) => alertToFinding(alert, event));
    const fresh = await this.store.record(findings);
    await this.events.publish(fresh).catch((error: unknown) => this.logger.warn({ err: (error as Error).message, alerts: fresh.length }, 'could not publish new alerts'));
    for (const output of this.outputs) {
      for (const stored of fresh) {
        await output.send(stored.alert).catch((error: unknown) => this.logger.warn({ err: (error as Error).message, rule: stored.alert.rule }, 'alert output failed'));
      }
    }
    return fresh;
  }
}
