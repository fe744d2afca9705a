import { Inject } from '@nestjs/common';
import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { FINDING_TREND_KEEP_DAYS, FINDING_TREND_MAX_DAYS, type FindingTrend, type TeamAccessor } from '@bulkhead/persistence';
import { SEVERITIES } from '@bulkhead/plugin-sdk';
import { badUserInput } from '../graphql/errors';
import { FINDING_TREND } from '../tokens';
import { FindingTrendFilter, FindingTrendPoint } from './finding-trend.model';

/** The trend reader and the accessor of the request's team (the API module builds it). */
export interface TeamFindingTrend {
  trend: FindingTrend;
  team: TeamAccessor;
}

@Resolver(() => FindingTrendPoint)
export class FindingTrendResolver {
  constructor(@Inject(FINDING_TREND) private readonly source: TeamFindingTrend) {}

  @Query(() => [FindingTrendPoint], {
    description: `Open findings per severity at the end of each UTC day of the last \`days\` (today included, oldest first): one point per day and severity, zeros included. Read from daily rows the platform records as it keeps its finding counters, never by counting findings. History starts when the platform started recording it (the upgrade that added this query; rows are kept ${FINDING_TREND_KEEP_DAYS} days): earlier days are unknown and left out, so the list may cover fewer days than asked.`,
  })
  async findingTrend(
    @Args('days', { type: () => Int, defaultValue: 30, description: `How many days, 1 to ${FINDING_TREND_MAX_DAYS}.` }) days: number,
    @Args('filter', { type: () => FindingTrendFilter, nullable: true }) filter?: FindingTrendFilter | null,
  ): Promise<FindingTrendPoint[]> {
    if (!Number.isInteger(days) || days < 1 || days > FINDING_TREND_MAX_DAYS) {
      throw badUserInput(`days: ${days} is out of range (1 to ${FINDING_TREND_MAX_DAYS})`, { field: 'days' });
    }
    const severities = filter?.severities?.length ? [...new Set(filter.severities)] : [...SEVERITIES];
    const kinds = filter?.kinds?.length ? [...new Set(filter.kinds)] : undefined;
    const points = await this.source.trend.read(this.source.team(), { days, severities, ...(kinds ? { kinds } : {}) });
    return points as FindingTrendPoint[];
  }
}
