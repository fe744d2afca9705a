import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { RequireRole } from '@bulkhead/plugin-sdk/api';
import { AdmissionDecisionConnection, AdmissionDecisionFilter, AdmissionDecisionRecord } from './decisions.model';
import { AdmissionDecisionsService } from './decisions.service';

@Resolver(() => AdmissionDecisionRecord)
@RequireRole('viewer')
export class AdmissionDecisionsResolver {
  constructor(private readonly decisions: AdmissionDecisionsService) {}

  @Query(() => AdmissionDecisionConnection, { description: "The admission webhook's recorded decisions (denials, dry-run denials, errors) of the team, newest first." })
  admissionDecisions(
    @Args('filter', { type: () => AdmissionDecisionFilter, nullable: true }) filter?: AdmissionDecisionFilter | null,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<AdmissionDecisionConnection> {
    return this.decisions.list(filter, first, after);
  }
}
