import { Args, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { RequireRole } from '@bulkhead/plugin-sdk/api';
import { Finding, FindingConnection, FindingFilter } from './finding.model';
import { FindingService } from './finding.service';

@Resolver(() => Finding)
export class FindingResolver {
  constructor(private readonly findingService: FindingService) {}

  @Query(() => FindingConnection, { description: 'Findings of every kind, most recently seen first.' })
  findings(
    @Args('filter', { type: () => FindingFilter, nullable: true }) filter?: FindingFilter | null,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<FindingConnection> {
    return this.findingService.list(filter, first, after);
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
  @Mutation(() => Finding, { description: 'Marks a finding SUPPRESSED (no action needed); reruns that report it keep it suppressed. NOT_FOUND for an unknown id.' })
  suppressFinding(@Args('id', { type: () => ID }) id: string): Promise<Finding> {
    return this.findingService.suppress(id);
  }

  @RequireRole('operator')
  @Mutation(() => Finding, { description: 'Lifts a suppression: the finding is OPEN again (the next run that no longer reports it resolves it).' })
  unsuppressFinding(@Args('id', { type: () => ID }) id: string): Promise<Finding> {
    return this.findingService.unsuppress(id);
  }
}
