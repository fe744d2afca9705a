import type { Logger } from '@bulkhead/common';
import { alertToFinding, type AlertOutput, type EngineEvent, type FalcoAlert } from '@bulkhead/plugin-runtime';
import type { HostFindings } from '@bulkhead/plugin-sdk/api';
import { alertOfFinding } from './alert-events';
import type { StoredAlert } from './alert-store';

/** An alert and, when it was raised here, the event that raised it (a better target than output fields). */
export interface RaisedAlert {
  alert: FalcoAlert;
  event?: EngineEvent;
}

/**
 * Where every alert the API receives or raises goes: stored as runtime findings through
 * HostFindings.record (one batched upsert per call, new ones announced on the findings
 * channel), then the new ones are sent to the configured outputs. A re-sent alert is stored once.
 */
export class AlertRecorder {
  constructor(
    private readonly findings: HostFindings,
    private readonly outputs: readonly AlertOutput[],
    private readonly logger: Logger,
  ) {}

  /** Returns the alerts that were new. Throws when they could not be stored (the sender should retry). */
  async record(raised: readonly RaisedAlert[]): Promise<StoredAlert[]> {
    if (raised.length === 0) return [];
    const findings = raised.map(({ alert, event }) => alertToFinding(alert, event));
    for (const f of findings) {
      if (!f.fingerprint) throw new Error(`runtime finding for rule ${f.ruleId} has no fingerprint`);
    }
    const fresh = (await this.findings.record(findings)).map(alertOfFinding).filter((alert): alert is StoredAlert => alert !== undefined);
    for (const output of this.outputs) {
      for (const stored of fresh) {
        await output.send(stored.alert).catch((error: unknown) => this.logger.warn({ err: (error as Error).message, rule: stored.alert.rule }, 'alert output failed'));
      }
    }
    return fresh;
  }
}
