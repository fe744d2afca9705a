import { Inject, Injectable } from '@nestjs/common';
import { FindingStore, isUuid, type FindingEntity, type FindingFilter as StoreFindingFilter, type FindingStatus as StoredFindingStatus } from '@bulkhead/persistence';
import { GraphQLError } from 'graphql';
import { DataSource } from 'typeorm';
import type { Connection } from '@bulkhead/plugin-sdk/api';
import { countFindings } from '../graphql/counts';
import { badUserInput } from '../graphql/errors';
import { mapConnection, pageRequest } from '../graphql/pagination';
import { DATA_SOURCE, FINDING_STORE } from '../tokens';
import type { Finding, FindingFilter } from './finding.model';

/** Reads findings of every kind, most recently seen first (through persistence's FindingStore). */
@Injectable()
export class FindingService {
  constructor(
    @Inject(FINDING_STORE) private readonly findings: FindingStore,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  async list(filter: FindingFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Finding>> {
    if (filter?.taskId && !isUuid(filter.taskId)) {
      throw badUserInput(`filter.taskId: ${JSON.stringify(filter.taskId)} is not a task id (a UUID)`, { field: 'filter.taskId' });
    }
    const storeFilter: StoreFindingFilter = {
      ...(filter?.kind ? { kind: filter.kind } : {}),
      ...(filter?.severities?.length ? { severity: filter.severities } : {}),
      ...(filter?.target ? { target: filter.target } : {}),
      ...(filter?.taskId ? { taskId: filter.taskId } : {}),
      ...(filter?.status ? { status: [filter.status as StoredFindingStatus] } : {}),
    };
    const [page, totalCount] = await Promise.all([this.findings.list(storeFilter, pageRequest(first, after)), countFindings(this.dataSource, storeFilter)]);
    return mapConnection(page, totalCount, toFindingModel);
  }

  /** SUPPRESSED until unsuppressed; reruns keep it (NOT_FOUND for an unknown id). */
  async suppress(id: string): Promise<Finding> {
    return requireFound(id, await this.findings.suppress(requireFindingId(id)));
  }

  /** A SUPPRESSED finding becomes OPEN; others are returned unchanged. */
  async unsuppress(id: string): Promise<Finding> {
    return requireFound(id, await this.findings.unsuppress(requireFindingId(id)));
  }
}

function requireFindingId(id: string): string {
  if (!isUuid(id)) throw badUserInput(`id: ${JSON.stringify(id)} is not a finding id (a UUID)`, { field: 'id' });
  return id;
}

function requireFound(id: string, entity: FindingEntity | null): Finding {
  if (!entity) throw new GraphQLError(`finding ${id} does not exist`, { extensions: { code: 'NOT_FOUND', findingId: id } });
  return toFindingModel(entity);
}

function toFindingModel(entity: FindingEntity): Finding {
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
    reopened: entity.status === 'OPEN' && entity.reopenedAt !== null,
    reopenedAt: entity.reopenedAt,
  };
}
