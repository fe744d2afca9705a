import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { Finding, FindingConnection, FindingFilter } from './finding.model';
import { FindingService } from './finding.service';

@Resolver(() => Finding)
export class FindingResolver {
  constructor(private readonly findingService: FindingService) {}

  @Query(() => FindingConnection, { description: 'Findings of every kind, most recently seen first.' })
  findings(
    @Args('filter', { type: () => FindingFilter, nullable: true }) filter?: FindingFilter | null,
    @Args('first', { type: () => Int, nullable: true }) first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ): Promise<FindingConnection> {
    return this.findingService.list(filter, first, after);
  }
}
