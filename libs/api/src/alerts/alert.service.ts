import { Inject, Injectable } from '@nestjs/common';
import type { Connection } from '@bulkhead/plugin-sdk/api';
import { mapConnection, pageRequest } from '../graphql/pagination';
import { ALERT_EVENTS, ALERT_STORE } from '../tokens';
import { AlertEvents } from './alert-events';
import { alertCriteria, matchesAlert } from './alert-filter';
import type { Alert, AlertFilter } from './alert.model';
import { AlertStore, type StoredAlert } from './alert-store';

/** Reads stored runtime alerts and follows new ones. */
@Injectable()
export class AlertService {
  constructor(
    @Inject(ALERT_STORE) private readonly store: AlertStore,
    @Inject(ALERT_EVENTS) private readonly events: AlertEvents,
  ) {}

  async list(filter: AlertFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Alert>> {
    const criteria = alertCriteria(filter);
    const [page, totalCount] = await Promise.all([this.store.list(criteria, pageRequest(first, after)), this.store.count(criteria)]);
    return mapConnection(page, totalCount, toAlertModel);
  }

  /** New alerts matching the filter, from any API replica, until the client unsubscribes. */
  async raised(filter: AlertFilter | null | undefined): Promise<AsyncIterableIterator<Alert>> {
    const criteria = alertCriteria(filter);
    const live = await this.events.subscribe();
    const iterator: AsyncIterableIterator<Alert> = {
      next: async () => {
        for (;;) {
          const result = await live.next();
          if (result.done) return { value: undefined, done: true };
          if (matchesAlert(criteria, result.value.alert)) return { value: toAlertModel(result.value), done: false };
        }
      },
      return: async () => {
        await live.return?.();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

export function toAlertModel(stored: StoredAlert): Alert {
  const { alert } = stored;
  return {
    id: stored.id,
    output: alert.output,
    priority: alert.priority,
    rule: alert.rule,
    time: alert.time,
    outputFields: alert.output_fields ?? {},
    source: alert.source,
    tags: alert.tags ?? [],
    hostname: alert.hostname ?? null,
    severity: stored.severity,
    target: stored.target,
    firstSeenAt: stored.firstSeenAt,
    lastSeenAt: stored.lastSeenAt,
  };
}
