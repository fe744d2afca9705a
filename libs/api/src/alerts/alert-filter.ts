import { formatRfc3339Nano, PRIORITIES, priorityRank, type FalcoAlert, type Priority } from '@bulkhead/plugin-runtime';
import { badUserInput } from '../graphql/errors';
import type { AlertFilter } from './alert.model';

/** A validated alert filter, with times as the stored text form and the priority as the set it admits. */
export interface AlertCriteria {
  rule?: string;
  priorities?: readonly Priority[];
  image?: string;
  namespace?: string;
  /** Inclusive, RFC 3339 UTC with nanoseconds (comparable as text with stored alert times). */
  from?: string;
  /** Exclusive, same form as `from`. */
  to?: string;
}

/** The priorities at least as severe as `minimum` (Falco's order: most severe first). */
export function prioritiesFrom(minimum: Priority): Priority[] {
  return PRIORITIES.slice(0, priorityRank(minimum) + 1);
}

/** Falco's time format for an instant: what stored alert times look like, so text order is time order. */
export function alertTimeText(date: Date): string {
  return formatRfc3339Nano(BigInt(date.getTime()) * 1_000_000n);
}

export function alertCriteria(filter: AlertFilter | null | undefined): AlertCriteria {
  if (!filter) return {};
  for (const field of ['from', 'to'] as const) {
    const value = filter[field];
    if (value && Number.isNaN(value.getTime())) throw badUserInput(`filter.${field} is not a valid date-time`, { field: `filter.${field}` });
  }
  if (filter.from && filter.to && filter.from.getTime() > filter.to.getTime()) {
    throw badUserInput(`filter.from (${filter.from.toISOString()}) is after filter.to (${filter.to.toISOString()})`, { field: 'filter.from' });
  }
  return {
    ...(filter.rule ? { rule: filter.rule } : {}),
    ...(filter.priority ? { priorities: prioritiesFrom(filter.priority) } : {}),
    ...(filter.image ? { image: filter.image } : {}),
    ...(filter.namespace ? { namespace: filter.namespace } : {}),
    ...(filter.from ? { from: alertTimeText(filter.from) } : {}),
    ...(filter.to ? { to: alertTimeText(filter.to) } : {}),
  };
}

function field(alert: FalcoAlert, name: string): string | undefined {
  const value = alert.output_fields[name];
  return value === null || value === undefined ? undefined : String(value);
}

/** The namespace an alert is about: the same fallback as the SQL expression in alert-query.ts. */
export function alertNamespace(alert: FalcoAlert): string | undefined {
  return field(alert, 'k8s.ns.name') ?? field(alert, 'ka.target.namespace');
}

/** The same test as the SQL in alert-query.ts, for alerts pushed to subscribers. */
export function matchesAlert(criteria: AlertCriteria, alert: FalcoAlert): boolean {
  if (criteria.rule !== undefined && alert.rule !== criteria.rule) return false;
  if (criteria.priorities && !criteria.priorities.includes(alert.priority)) return false;
  if (criteria.image !== undefined && field(alert, 'container.image.repository') !== criteria.image && field(alert, 'container.image') !== criteria.image) return false;
  if (criteria.namespace !== undefined && alertNamespace(alert) !== criteria.namespace) return false;
  if (criteria.from !== undefined && alert.time < criteria.from) return false;
  if (criteria.to !== undefined && alert.time >= criteria.to) return false;
  return true;
}
