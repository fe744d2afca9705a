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

/** Parses and sorts a SEMVER or ECOSYSTEM range's events; throws UnorderableRangeError. */
export function prepareRange(range: AffectedRange, ordering: VersionOrdering): PreparedRange {
  const events: PreparedEvent[] = [];
  const limits: unknown[] = [];
  let unlimited = false;
  try {
    for (const event of range.events) {
      if ('introduced' in event) {
        events.push({ kind: 'introduced', text: event.introduced, version: event.introduced === '0' ? undefined : ordering.parse(event.introduced) });
      } else if ('fixed' in event) {
        events.push({ kind: 'fixed', text: event.fixed, version: ordering.parse(event.fixed) });
      } else if ('last_affected' in event) {
        events.push({ kind: 'last_affected', text: event.last_affected, version: ordering.parse(event.last_affected) });
      } else if ('limit' in event) {
        if (event.limit === '*') unlimited = true;
        else limits.push(ordering.parse(event.limit));
      }
    }
  } catch (error) {
    throw new UnorderableRangeError(range, error);
  }
  // stable sort by version; "0" first
  const order = events.map((event, index) => ({ event, index }));
  order.sort((a, b) => {
    if (a.event.version === undefined || b.event.version === undefined) {
      if (a.event.version === b.event.version) return a.index - b.index;
      return a.event.version === undefined ? -1 : 1;
    }
    return ordering.compare(a.event.version, b.event.version) || a.index - b.index;
  });
  return { events: order.map((o) => o.event), limits, unlimited };
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
