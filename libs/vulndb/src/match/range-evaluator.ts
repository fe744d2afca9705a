import type { AffectedRange } from '../model';
import type { VersionOrdering } from '../version/ordering';

/*
 * OSV range evaluation, exactly as https://ossf.github.io/osv-schema/#evaluation:
 *
 *   vulnerable if BeforeLimits(v) and, walking the events sorted by version,
 *   introduced ≤ v sets it, fixed ≤ v clears it, last_affected < v clears it.
 *
 * `introduced: "0"` means "from the first version" in every ecosystem (it is no valid SemVer),
 * and `limit: "*"` means no limit. A range is prepared once (its bounds parsed and sorted) and
 * then evaluated against many installed versions.
 */

type Kind = 'introduced' | 'fixed' | 'last_affected';

interface PreparedEvent {
  kind: Kind;
  text: string;
  /** Parsed version; undefined for `introduced: "0"` (below everything). */
  version: unknown;
}

export interface PreparedRange {
  events: PreparedEvent[];
  /** Parsed `limit` bounds; empty = no limit (an implicit "*"). */
  limits: unknown[];
  unlimited: boolean;
}

export class UnorderableRangeError extends Error {
  constructor(
    readonly range: AffectedRange,
    error: unknown,
  ) {
    super(`range event cannot be ordered: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Parses and sorts a SEMVER or ECOSYSTEM range's events; throws UnorderableRangeError.
 * `parse` is the ordering's parse, usually behind the caller's cache (bounds repeat a lot).
 */
export function prepareRange(range: AffectedRange, ordering: VersionOrdering, parse: (version: string) => unknown = ordering.parse): PreparedRange {
  const events: PreparedEvent[] = [];
  const limits: unknown[] = [];
  let unlimited = false;
  try {
    for (const event of range.events) {
      if ('introduced' in event) {
        events.push({ kind: 'introduced', text: event.introduced, version: event.introduced === '0' ? undefined : parse(event.introduced) });
      } else if ('fixed' in event) {
        events.push({ kind: 'fixed', text: event.fixed, version: parse(event.fixed) });
      } else if ('last_affected' in event) {
        events.push({ kind: 'last_affected', text: event.last_affected, version: parse(event.last_affected) });
      } else if ('limit' in event) {
        if (event.limit === '*') unlimited = true;
        else limits.push(parse(event.limit));
      }
    }
  } catch (error) {
    throw new UnorderableRangeError(range, error);
  }
  const before = (a: PreparedEvent, b: PreparedEvent): number => {
    if (a.version === undefined || b.version === undefined) return a.version === b.version ? 0 : a.version === undefined ? -1 : 1;
    return ordering.compare(a.version, b.version);
  };
  // most databases write events in order already: sort (stably) only when they are not
  let sorted = true;
  for (let i = 1; i < events.length && sorted; i++) sorted = before(events[i - 1] as PreparedEvent, events[i] as PreparedEvent) <= 0;
  if (!sorted) {
    const order = events.map((event, index) => ({ event, index }));
    order.sort((a, b) => before(a.event, b.event) || a.index - b.index);
    return { events: order.map((o) => o.event), limits, unlimited };
  }
  return { events, limits, unlimited };
}

export interface RangeVerdict {
  affected: boolean;
  /** The fixed event that ends the affected stretch holding the version, when there is one. */
  fixed?: string;
}

const NOT_AFFECTED: RangeVerdict = { affected: false };

export function evaluateRange(range: PreparedRange, version: unknown, ordering: VersionOrdering): RangeVerdict {
  if (!range.unlimited && range.limits.length > 0 && !range.limits.some((limit) => ordering.compare(version, limit) < 0)) return NOT_AFFECTED;
  let vulnerable = false;
  let next: PreparedEvent | undefined;
  for (const event of range.events) {
    const cmp = event.version === undefined ? 1 : ordering.compare(version, event.version);
    if (event.kind === 'introduced') {
      if (cmp >= 0) vulnerable = true;
    } else if (event.kind === 'fixed') {
      if (cmp >= 0) vulnerable = false;
    } else if (cmp > 0) {
      vulnerable = false;
    }
    // the first closing event at or above the version, in sorted order, says how the stretch ends
    if (!next && (event.kind === 'last_affected' ? cmp <= 0 : event.kind === 'fixed' && cmp < 0)) next = event;
  }
  if (!vulnerable) return NOT_AFFECTED;
  return next?.kind === 'fixed' ? { affected: true, fixed: next.text } : { affected: true };
}

/**
 * Evaluates a range straight from its events, without preparing it (no allocation): for the
 * common case of a range met once. Undefined when the events are not in ascending order
 * (prepare and sort them then). `parse` throws as prepareRange's does.
 */
export function evaluateEventsInOrder(range: AffectedRange, version: unknown, ordering: VersionOrdering, parse: (version: string) => unknown): RangeVerdict | undefined {
  let vulnerable = false;
  let nextFixed: string | undefined;
  let closed = false;
  let previous: unknown;
  let sawLimit = false;
  let belowLimit = false;
  try {
    for (const event of range.events) {
      let text: string;
      let kind: Kind | 'limit';
      if ('introduced' in event) {
        text = event.introduced;
        kind = 'introduced';
      } else if ('fixed' in event) {
        text = event.fixed;
        kind = 'fixed';
      } else if ('last_affected' in event) {
        text = event.last_affected;
        kind = 'last_affected';
      } else {
        sawLimit = true;
        if (event.limit === '*' || ordering.compare(version, parse(event.limit)) < 0) belowLimit = true;
        continue;
      }
      if (kind === 'introduced' && text === '0') {
        if (previous !== undefined) return undefined;
        vulnerable = true;
        continue;
      }
      const bound = parse(text);
      if (previous !== undefined && ordering.compare(previous, bound) > 0) return undefined;
      previous = bound;
      const cmp = ordering.compare(version, bound);
      if (kind === 'introduced') {
        if (cmp >= 0) vulnerable = true;
      } else if (kind === 'fixed') {
        if (cmp >= 0) vulnerable = false;
        else if (!closed) {
          closed = true;
          nextFixed = text;
        }
      } else if (cmp > 0) {
        vulnerable = false;
      } else if (!closed) {
        closed = true;
      }
    }
  } catch (error) {
    throw new UnorderableRangeError(range, error);
  }
  if (sawLimit && !belowLimit) return NOT_AFFECTED;
  if (!vulnerable) return NOT_AFFECTED;
  return nextFixed !== undefined ? { affected: true, fixed: nextFixed } : AFFECTED;
}

const AFFECTED: RangeVerdict = { affected: true };
