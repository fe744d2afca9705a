import { Args, Context, ID, Info, Int, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import DataLoader from 'dataloader';
import { RequireRole, type StoredFindingField } from '@bulkhead/plugin-sdk/api';
import type { GraphQLResolveInfo } from 'graphql';
import { Finding, FindingConnection, FindingCountConnection, FindingCountGroupBy, FindingFilter, FindingSuppression, VexJustification } from './finding.model';
import { FindingService } from './finding.service';
import { isFieldSelected, selectedFieldsAt } from './selected-fields';

/** Finding fields that are StoredFinding fields of the same name (all of them today). */
const STORED_FIELDS: ReadonlySet<string> = new Set<StoredFindingField>([
  'id', 'kind', 'severity', 'ruleId', 'title', 'target', 'location', 'data', 'taskId', 'firstSeenAt', 'lastSeenAt', 'status', 'resolvedAt', 'reopened', 'reopenedAt',
]);

/** Resolved fields of Finding and the stored fields they read. */
const RESOLVED_FIELDS: Readonly<Record<string, readonly StoredFindingField[]>> = { image: ['target'], suppression: ['status'], __typename: [] };

/** Per-request loaders of Finding.suppression: a page of findings reads its suppressions in one statement. */
const suppressionLoaders = new WeakMap<object, DataLoader<string, FindingSuppression | null>>();

/** The stored fields a findings page must read for the selected node fields; null (all) for a field not known here. */
function nodeFields(info: GraphQLResolveInfo): StoredFindingField[] | null {
  const fields: StoredFindingField[] = [];
  for (const name of selectedFieldsAt(info, ['edges', 'node'])) {
    const resolved = Object.hasOwn(RESOLVED_FIELDS, name) ? RESOLVED_FIELDS[name] : undefined;
    if (resolved) fields.push(...resolved);
    else if (STORED_FIELDS.has(name)) fields.push(name as StoredFindingField);
    else return null;
  }
  return fields;
}

@Resolver(() => Finding)
export class FindingResolver {
  constructor(private readonly findingService: FindingService) {}

  @Query(() => FindingConnection, { description: 'Findings of every kind, most recently seen first.' })
  findings(
    @Args('filter', { type: () => FindingFilter, nullable: true }) filter?: FindingFilter | null,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<FindingConnection> {
    return this.findingService.list(filter, first, after, info ? { fields: nodeFields(info), totalCount: isFieldSelected(info, 'totalCount') } : { fields: null, totalCount: true });
  }

  @Query(() => FindingCountConnection, {
    description:
      'Exact numbers of findings per severity, kind, status or image (target), for dashboards: one query for every group, in key order. Answered from counters the platform keeps exact as findings are written, not by counting findings (a filter on taskId counts that task\'s findings). totalCount is the number of groups.',
  })
  findingCounts(
    @Args('groupBy', { type: () => FindingCountGroupBy }) groupBy: FindingCountGroupBy,
    @Args('filter', { type: () => FindingFilter, nullable: true }) filter?: FindingFilter | null,
    @Args('first', { type: () => Int, nullable: true, description: 'Groups per page, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<FindingCountConnection> {
    return this.findingService.counts(groupBy, filter, first, after, { totalCount: info ? isFieldSelected(info, 'totalCount') : true });
  }

  @Subscription(() => Finding, {
    description:
      "Every change of a finding's lifecycle in the caller's team, as any worker or API replica makes it: stored for the first time (OPEN), reported again after it was resolved (OPEN, reopened: true), or resolved because a complete run no longer reported it (RESOLVED; e.g. a vulnerability that an advisory update withdrew or fixed). Only findings matching the filter.",
    resolve: (finding: Finding) => finding,
  })
  findingChanged(@Args('filter', { type: () => FindingFilter, nullable: true }) filter?: FindingFilter | null): AsyncIterableIterator<Finding> {
    return this.findingService.changes(filter);
  }

  @RequireRole('operator')
  @Mutation(() => Finding, {
    description:
      'Marks a finding SUPPRESSED (no action needed), with why (reason, at most 1000 characters; the console always sends one), an OpenVEX justification and an optional expiry (in the future, at most 365 days ahead), recorded with the token\'s name. Suppressing a suppressed finding replaces its suppression. Reruns that report it keep it suppressed; when the expiry passes it is OPEN again. Suppressed vulnerabilities are exported by vexDocument. `suppressFinding(id)` alone still works (no reason recorded). NOT_FOUND for an unknown id; BAD_USER_INPUT (extensions.field) for a bad reason or expiry.',
  })
  suppressFinding(
    @Args('id', { type: () => ID }) id: string,
    @Args('reason', { type: () => String, nullable: true, description: 'Why the finding needs no action (at most 1000 characters).' }) reason?: string | null,
    @Args('justification', { type: () => VexJustification, nullable: true, description: 'The OpenVEX not_affected justification (vulnerabilities).' }) justification?: VexJustification | null,
    @Args('expiresAt', { type: () => Date, nullable: true, description: 'When the finding is OPEN again; absent: until reopened.' }) expiresAt?: Date | null,
  ): Promise<Finding> {
    return this.findingService.suppress(id, { reason: reason ?? null, justification: justification ?? null, expiresAt: expiresAt ?? null });
  }

  @RequireRole('operator')
  @Mutation(() => Finding, { description: 'Lifts a suppression and clears it (reason, expiry): the finding is OPEN again (the next run that no longer reports it resolves it).' })
  unsuppressFinding(@Args('id', { type: () => ID }) id: string): Promise<Finding> {
    return this.findingService.unsuppress(id);
  }

  @ResolveField(() => FindingSuppression, { nullable: true, description: 'Why, by whom and until when it is suppressed; null unless SUPPRESSED.' })
  suppression(@Parent() finding: Finding, @Context() context: object): Promise<FindingSuppression | null> {
    if (finding.status !== 'SUPPRESSED') return Promise.resolve(null);
    let loader = suppressionLoaders.get(context);
    if (!loader) {
      loader = new DataLoader((ids: readonly string[]) => this.findingService.suppressions(ids), { maxBatchSize: 500 });
      suppressionLoaders.set(context, loader);
    }
    return loader.load(finding.id);
  }
}
