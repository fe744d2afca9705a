import { Args, Int, Query, Resolver, Subscription } from '@nestjs/graphql';
import { RequireRole } from '@bulkhead/plugin-sdk/api';
import { Alert, AlertConnection, AlertFilter } from './alert.model';
import { AlertService } from './alert.service';

@Resolver(() => Alert)
@RequireRole('viewer')
export class AlertResolver {
  constructor(private readonly alertService: AlertService) {}

  @Query(() => AlertConnection, { description: 'Runtime alerts (Falco-shaped), newest event time first.' })
  alerts(
    @Args('filter', { type: () => AlertFilter, nullable: true }) filter?: AlertFilter | null,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<AlertConnection> {
    return this.alertService.list(filter, first, after);
  }

  @Subscription(() => Alert, {
    description: 'Every new runtime alert matching the filter, as any API replica stores it (a re-sent alert is not raised again).',
    resolve: (alert: Alert) => alert,
  })
  alertRaised(@Args('filter', { type: () => AlertFilter, nullable: true }) filter?: AlertFilter | null): AsyncIterableIterator<Alert> {
    return this.alertService.raised(filter);
  }
}
