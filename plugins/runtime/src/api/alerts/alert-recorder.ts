import type { TaskLogger } from '@bulkhead/plugin-sdk';
import type { HostFindings, StoredFinding } from '@bulkhead/plugin-sdk/api';
import { alertToFinding, type EngineEvent, type FalcoAlert } from '../../alerts/alert';
import type { AlertOutput } from '../../alerts/outputs';

/** An alert and, when it was raised here, the event that raised it (a better target than output fields). */
export interface RaisedAlert {
  alert: FalcoAlert;
  event?: EngineEvent;
}

/**
 * Where every alert the API receives or raises goes: stored as runtime findings through the
 * host (one batched upsert per call; the host announces the new ones on its finding events,
 * which feed `alertRaised` on every replica), then the new ones are sent to the configured
 * outputs. A re-sent alert is stored once, announced once and sent once.
 */
export class AlertRecorder {
  constructor(
    private readonly findings: Pick<HostFindings, 'record'>,
    private readonly outputs: readonly AlertOutput[],
    private readonly logger: TaskLogger,
  ) {}

  /** Returns the findings that were new. Throws when they could not be stored (the sender should retry). */
  async record(raised: readonly RaisedAlert[]): Promise<StoredFinding[]> {
    if (raised.length === 0) return [];
    const findings = raised.map(({ alert, event }) => alertToFinding(alert, event));
    const fresh = await this.findings.record(findings);
    if (this.outputs.length === 0) return fresh;
    // The alerts as built here (Falco's key order; the stored JSONB keeps its own order).
    const built = new Map(findings.map((f) => [identity(f.target, f.fingerprint), f.data as unknown as FalcoAlert]));
    for (const output of this.outputs) {
      for (const stored of fresh) {
        const alert = built.get(identity(stored.target, stored.fingerprint)) ?? (stored.data as unknown as FalcoAlert);
        await output.send(alert).catch((error: unknown) => this.logger.warn({ err: (error as Error).message, rule: alert.rule }, 'alert output failed'));
      }
    }
    return fresh;
  }
}

/** A finding's identity: (target, fingerprint), as the host upserts on it. */
function identity(target: string | undefined, fingerprint: string | undefined): string {
  return `${target ?? ''}\u0000${fingerprint ?? ''}`;
}
