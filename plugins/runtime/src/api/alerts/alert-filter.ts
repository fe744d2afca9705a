import type { FindingDataAlternatives, FindingDataCondition, FindingFilter } from '@bulkhead/plugin-sdk/api';
import { GraphQLError } from 'graphql';
import type { FalcoAlert } from '../../alerts/alert';
import { PRIORITIES, priorityRank, type Priority } from '../../engine/priority';
import { formatRfc3339Nano } from '../../fields/k8saudit';
import { ALERT_IMAGE, ALERT_IMAGE_REPOSITORY, ALERT_NAMESPACE, ALERT_NAMESPACE_FALLBACK, ALERT_POD, ALERT_PRIORITY, ALERT_TIME } from './alert-paths';

/** The GraphQL AlertFilter's fields (all optional; all given must match). */
export interface AlertFilterInput {
  rule?: string | null;
  priority?: Priority | null;
  image?: string | null;
  namespace?: string | null;
  pod?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** A validated alert filter, with times as the stored text form and the priority as the set it admits. */
export interface AlertCriteria {
  rule?: string;
  priorities?: readonly Priority[];
  image?: string;
  namespace?: string;
  pod?: string;
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

function badUserInput(message: string, field: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
}

/** Longest name a filter may give: a Kubernetes object name (DNS subdomain, RFC 1123) is at most 253 characters. */
export const MAX_ALERT_NAME_LENGTH = 253;

export function alertCriteria(filter: AlertFilterInput | null | undefined): AlertCriteria {
  if (!filter) return {};
  // Names are Kubernetes object names (at most 253 characters). NUL is refused for every name:
  // Postgres text cannot hold it (the GraphQL layer refuses it too; this covers other callers).
  for (const field of ['rule', 'image', 'namespace', 'pod'] as const) {
    const value = filter[field];
    if (typeof value !== 'string') continue;
    if (value.includes('\u0000')) throw badUserInput(`filter.${field} contains a NUL character (\\u0000)`, `filter.${field}`);
    if ((field === 'namespace' || field === 'pod') && value.length > MAX_ALERT_NAME_LENGTH) {
      throw badUserInput(`filter.${field} is longer than ${MAX_ALERT_NAME_LENGTH} characters, the most a Kubernetes name can have`, `filter.${field}`);
    }
  }
  for (const field of ['from', 'to'] as const) {
    const value = filter[field];
    if (value && Number.isNaN(value.getTime())) throw badUserInput(`filter.${field} is not a valid date-time`, `filter.${field}`);
  }
  if (filter.from && filter.to && filter.from.getTime() > filter.to.getTime()) {
    throw badUserInput(`filter.from (${filter.from.toISOString()}) is after filter.to (${filter.to.toISOString()})`, 'filter.from');
  }
  return {
    ...(filter.rule ? { rule: filter.rule } : {}),
    ...(filter.priority ? { priorities: prioritiesFrom(filter.priority) } : {}),
    ...(filter.image ? { image: filter.image } : {}),
    ...(filter.namespace ? { namespace: filter.namespace } : {}),
    ...(filter.pod ? { pod: filter.pod } : {}),
    ...(filter.from ? { from: alertTimeText(filter.from) } : {}),
    ...(filter.to ? { to: alertTimeText(filter.to) } : {}),
  };
}

/** The host's finding filter for these criteria: runtime findings, conditions on the stored alert's paths. */
export function alertFindingFilter(criteria: AlertCriteria): FindingFilter {
  const data: (FindingDataCondition | FindingDataAlternatives)[] = [];
  if (criteria.priorities) data.push({ path: ALERT_PRIORITY, oneOf: criteria.priorities });
  if (criteria.image !== undefined) data.push({ anyOf: [{ path: ALERT_IMAGE_REPOSITORY, equals: criteria.image }, { path: ALERT_IMAGE, equals: criteria.image }] });
  if (criteria.namespace !== undefined) data.push({ path: ALERT_NAMESPACE, fallbackPaths: [ALERT_NAMESPACE_FALLBACK], equals: criteria.namespace });
  if (criteria.pod !== undefined) data.push({ path: ALERT_POD, equals: criteria.pod });
  if (criteria.from !== undefined || criteria.to !== undefined) {
    data.push({
      path: ALERT_TIME,
      ...(criteria.from !== undefined ? { gte: criteria.from } : {}),
      ...(criteria.to !== undefined ? { lt: criteria.to } : {}),
    });
  }
  return { kinds: ['runtime'], ...(criteria.rule !== undefined ? { ruleIds: [criteria.rule] } : {}), ...(data.length ? { data } : {}) };
}

function field(alert: FalcoAlert, name: string): string | undefined {
  const value = alert.output_fields[name];
  return value === null || value === undefined ? undefined : String(value);
}

/** The namespace an alert is about: the same fallback as the query's namespace condition. */
export function alertNamespace(alert: FalcoAlert): string | undefined {
  return field(alert, ALERT_NAMESPACE[1]) ?? field(alert, ALERT_NAMESPACE_FALLBACK[1]);
}

/** The same test as alertFindingFilter's, for new alerts pushed to subscribers. */
export function matchesAlert(criteria: AlertCriteria, alert: FalcoAlert): boolean {
  if (criteria.rule !== undefined && alert.rule !== criteria.rule) return false;
  if (criteria.priorities && !criteria.priorities.includes(alert.priority)) return false;
  if (criteria.image !== undefined && field(alert, ALERT_IMAGE_REPOSITORY[1]) !== criteria.image && field(alert, ALERT_IMAGE[1]) !== criteria.image) return false;
  if (criteria.namespace !== undefined && alertNamespace(alert) !== criteria.namespace) return false;
  if (criteria.pod !== undefined && field(alert, ALERT_POD[1]) !== criteria.pod) return false;
  if (criteria.from !== undefined && alert.time < criteria.from) return false;
  if (criteria.to !== undefined && alert.time >= criteria.to) return false;
  return true;
}
