import { buildAlert, type EngineEvent, type FalcoAlert } from '../alerts/alert';
import { syscallEventType } from '../fields/syscall';
import type { RuleEngine } from './engine';

/** Evaluates engine events and builds Falco alerts for the matching rules. */
export class EventEvaluator {
  constructor(
    readonly engine: RuleEngine,
    private readonly hostname?: string,
  ) {}

  evaluate(e: EngineEvent): FalcoAlert[] {
    const type = e.source === 'syscall' ? syscallEventType(e.event) : undefined;
    const rules = this.engine.match(e.source, type, e.event);
    return rules.map((r) => buildAlert(r, e, this.hostname));
  }
}
