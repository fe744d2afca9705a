import { buildAlert, type EngineEvent, type FalcoAlert } from '../alerts/alert';
import { syscallEventType } from '../fields/syscall';
import type { RuleEngine } from './engine';

/**
 * Evaluates engine events and builds Falco alerts for the matching rules. An event whose values
 * make evaluation throw (junk from a producer) is counted in `failures` and yields no alert:
 * one bad event never stops a stream.
 */
export class EventEvaluator {
  failures = 0;
  lastFailure: string | undefined;

  constructor(
    readonly engine: RuleEngine,
    private readonly hostname?: string,
  ) {}

  evaluate(e: EngineEvent): FalcoAlert[] {
    try {
      const type = e.source === 'syscall' ? syscallEventType(e.event) : undefined;
      const rules = this.engine.match(e.source, type, e.event);
      return rules.map((r) => buildAlert(r, e, this.hostname));
    } catch (error) {
      this.failures++;
      this.lastFailure = (error as Error).message;
      return [];
    }
  }
}
