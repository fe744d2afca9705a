import type { CompiledRule } from './loader';
import { priorityRank, type Priority } from './priority';

export type MatchMode = 'first' | 'all';

export interface EngineOptions {
  /** `first` (Falco's default): stop at the first matching rule in load order. */
  matching?: MatchMode;
  /** Rules less severe than this are not loaded (Falco's `priority` setting). */
  minimumPriority?: Priority;
  /** Enable or disable rules by tag (Falco's -T / -t): applied after `enabled`. */
  disabledTags?: readonly string[];
}

interface SourceIndex {
  /** Rules per event type, in load order. */
  byType: Map<string, readonly CompiledRule[]>;
  /** Rules for an event type no rule names (rules whose type set is "all except ..."). */
  fallback: readonly CompiledRule[];
}

const NONE: readonly CompiledRule[] = [];

/**
 * Runs compiled rules against events. Rules are indexed by event type (from `evt.type`
 * constraints of their conditions, as Falco's ruleset does), so an `openat` event only runs the
 * rules that can match an `openat`.
 */
export class RuleEngine {
  readonly rules: readonly CompiledRule[];
  readonly matching: MatchMode;
  private readonly indexes = new Map<string, SourceIndex>();

  constructor(rules: readonly CompiledRule[], options: EngineOptions = {}) {
    const minimum = options.minimumPriority ? priorityRank(options.minimumPriority) : Infinity;
    const disabledTags = new Set(options.disabledTags ?? []);
    this.rules = rules.filter((r) => r.enabled && priorityRank(r.priority) <= minimum && !r.tags.some((t) => disabledTags.has(t)));
    this.matching = options.matching ?? 'first';
    const sources = new Set(this.rules.map((r) => r.source));
    for (const source of sources) {
      const rulesOf = this.rules.filter((r) => r.source === source);
      const named = new Set<string>();
      for (const r of rulesOf) for (const t of r.eventTypes.set) named.add(t);
      const byType = new Map<string, readonly CompiledRule[]>();
      for (const t of named) byType.set(t, rulesOf.filter((r) => r.eventTypes.neg !== r.eventTypes.set.has(t)));
      this.indexes.set(source, { byType, fallback: rulesOf.filter((r) => r.eventTypes.neg) });
    }
  }

  /** Rules that may match an event of this source and type, in load order. */
  candidates(source: string, eventType: string | undefined): readonly CompiledRule[] {
    const index = this.indexes.get(source);
    if (!index) return NONE;
    if (eventType === undefined) return index.fallback;
    return index.byType.get(eventType) ?? index.fallback;
  }

  /** First matching rule (or undefined): the hot path, allocation-free. */
  firstMatch(source: string, eventType: string | undefined, event: unknown): CompiledRule | undefined {
    const rules = this.candidates(source, eventType);
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (r.predicate(event)) return r;
    }
    return undefined;
  }

  /** Matching rules according to the engine's mode. */
  match(source: string, eventType: string | undefined, event: unknown): CompiledRule[] {
    if (this.matching === 'first') {
      const r = this.firstMatch(source, eventType, event);
      return r ? [r] : [];
    }
    return this.candidates(source, eventType).filter((r) => r.predicate(event));
  }
}
