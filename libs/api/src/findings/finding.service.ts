import { Inject, Injectable } from '@nestjs/common';
import { FindingStore, isUuid, pageSize, SuppressionInputError, suppressionOf, type FindingEntity } from '@bulkhead/persistence';
import {
  FINDING_EVENTS,
  HOST_FINDINGS,
  pageRequest,
  type Connection,
  type FindingEvents,
  type FindingFilter as HostFindingFilter,
  type HostFindings,
  type StoredFinding,
  type StoredFindingField,
} from '@bulkhead/plugin-sdk/api';
import { GraphQLError } from 'graphql';
import { badUserInput } from '../graphql/errors';
import { requestContext } from '../host/request-context';
import { FINDING_STORE } from '../tokens';
import type { Finding, FindingCount, FindingCountGroupBy, FindingFilter, FindingSuppression, VexJustification } from './finding.model';

/**
 * Findings of every kind, most recently seen first. Read through HostFindings, the same query
 * compiler plugins use; suppression through persistence's FindingStore.
 */
@Injectable()
export class FindingService {
  constructor(
    @Inject(HOST_FINDINGS) private readonly hostFindings: HostFindings,
    @Inject(FINDING_STORE) private readonly findings: FindingStore,
    @Inject(FINDING_EVENTS) private readonly events: FindingEvents,
  ) {}

  /** Lifecycle changes of the request team's findings (FindingEvents) that match the filter. */
  changes(filter: FindingFilter | null | undefined): AsyncIterableIterator<Finding> {
    const stop = new AbortController();
    const live = this.events.subscribe(filter?.kind ? { kinds: [filter.kind] } : {}, stop.signal);
    const matches = (finding: StoredFinding): boolean =>
      (!filter?.severities?.length || filter.severities.includes(finding.severity)) &&
      (!filter?.target || finding.target === filter.target) &&
      (!filter?.taskId || finding.taskId === filter.taskId) &&
      (!filter?.status || finding.status === filter.status);
    const iterator: AsyncIterableIterator<Finding> = {
      next: async () => {
        for (;;) {
          const result = await live.next();
          if (result.done) return { value: undefined, done: true };
          if (matches(result.value)) return { value: toFindingModel(result.value), done: false };
        }
      },
      // An unsubscribing client frees its listener at once, even while next() waits.
      return: async () => {
        stop.abort();
        await live.return?.();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * A page of findings. Reads only the columns of the node fields the client selected (`fields`,
   * null: all) and counts the matches only when it asked for totalCount.
   */
  async list(
    filter: FindingFilter | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
    selection: { fields: readonly StoredFindingField[] | null; totalCount: boolean },
  ): Promise<Connection<Finding>> {
    const hostFilter = toHostFilter(filter);
    const page = pageRequest(first, after);
    const [listed, totalCount] = await Promise.all([
      this.hostFindings.list(hostFilter, page, {}, selection.fields ?? undefined),
      selection.totalCount ? this.hostFindings.count(hostFilter) : undefined,
    ]);
    return withTotal(
      {
        edges: listed.items.map((item, index) => ({ cursor: listed.cursors[index] ?? '', node: toFindingModel(item as StoredFinding) })),
        pageInfo: { hasNextPage: listed.hasNextPage, endCursor: listed.endCursor },
      },
      totalCount,
    );
  }

  /** Exact finding counts per group (from the host's counters when the filter allows; see HostFindings.groupPage). */
  async counts(
    groupBy: FindingCountGroupBy,
    filter: FindingFilter | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
    selection: { totalCount: boolean },
  ): Promise<Connection<FindingCount>> {
    const hostFilter = toHostFilter(filter);
    const request = { groupBy: [groupBy], first: pageSize(first ?? undefined), ...(after ? { after } : {}) };
    const [page, totalCount] = await Promise.all([
      this.hostFindings.groupPage(hostFilter, request),
      selection.totalCount ? this.hostFindings.groupCount(hostFilter, [groupBy]) : undefined,
    ]);
    return withTotal(
      {
        edges: page.items.map((group, index) => ({ cursor: page.cursors[index] ?? '', node: { groupBy, key: group.keys[0] ?? '', count: group.count } })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      },
      totalCount,
    );
  }

  /**
   * SUPPRESSED with an optional reason, justification and expiry, recorded as the request's
   * token (reruns keep it; the expiry sweeper reopens it). NOT_FOUND for an unknown id;
   * BAD_USER_INPUT naming the field for a bad reason, justification or expiry.
   */
  async suppress(id: string, input: { reason?: string | null; justification?: VexJustification | null; expiresAt?: Date | null } = {}): Promise<Finding> {
    const findingId = requireFindingId(id);
    try {
      return requireFound(id, await this.findings.suppress(findingId, { ...input, suppressedBy: requestContext.principal()?.name ?? null }));
    } catch (error) {
      if (error instanceof SuppressionInputError) throw badUserInput(error.message, { field: error.field });
      throw error;
    }
  }

  /** A SUPPRESSED finding becomes OPEN and its suppression is cleared; others are returned unchanged. */
  async unsuppress(id: string): Promise<Finding> {
    return requireFound(id, await this.findings.unsuppress(requireFindingId(id)));
  }

  /** The suppressions of some findings of the team (null where not SUPPRESSED), in the order asked. */
  async suppressions(ids: readonly string[]): Promise<(FindingSuppression | null)[]> {
    const rows = await this.findings.suppressions(ids);
    return ids.map((id) => {
      const row = rows.get(id);
      return row ? suppressionOf(row) : null;
    });
  }
}

function toHostFilter(filter: FindingFilter | null | undefined): HostFindingFilter {
  if (filter?.taskId && !isUuid(filter.taskId)) {
    throw badUserInput(`filter.taskId: ${JSON.stringify(filter.taskId)} is not a task id (a UUID)`, { field: 'filter.taskId' });
  }
  return {
    ...(filter?.kind ? { kinds: [filter.kind] } : {}),
    ...(filter?.severities?.length ? { severities: filter.severities } : {}),
    ...(filter?.target ? { targets: [filter.target] } : {}),
    ...(filter?.taskId ? { taskId: filter.taskId } : {}),
    ...(filter?.status ? { statuses: [filter.status] } : {}),
  };
}

/**
 * A connection whose totalCount is there when it was counted. Unselected, it was not computed,
 * and reading it is an error rather than a made-up number.
 */
function withTotal<T>(connection: Omit<Connection<T>, 'totalCount'>, totalCount: number | undefined): Connection<T> {
  if (totalCount !== undefined) return { ...connection, totalCount };
  return Object.defineProperty({ ...connection }, 'totalCount', {
    enumerable: false,
    get: () => {
      throw new Error('totalCount was not selected, so it was not counted');
    },
  }) as Connection<T>;
}

function requireFindingId(id: string): string {
  if (!isUuid(id)) throw badUserInput(`id: ${JSON.stringify(id)} is not a finding id (a UUID)`, { field: 'id' });
  return id;
}

function requireFound(id: string, entity: FindingEntity | null): Finding {
  if (!entity) throw new GraphQLError(`finding ${id} does not exist`, { extensions: { code: 'NOT_FOUND', findingId: id } });
  return toFindingModel({ ...entity, reopened: entity.status === 'OPEN' && entity.reopenedAt !== null });
}

function toFindingModel(entity: StoredFinding): Finding {
  return {
    id: entity.id,
    kind: entity.kind,
    severity: entity.severity,
    ruleId: entity.ruleId,
    title: entity.title,
    target: entity.target,
    location: entity.location,
    data: entity.data,
    taskId: entity.taskId,
    firstSeenAt: entity.firstSeenAt,
    lastSeenAt: entity.lastSeenAt,
    status: entity.status,
    resolvedAt: entity.resolvedAt,
    reopened: entity.reopened,
    reopenedAt: entity.reopenedAt,
  };
}
