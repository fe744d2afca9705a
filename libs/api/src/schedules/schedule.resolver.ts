import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { GraphQLJSON, PluginKind, RequireRole } from '@bulkhead/plugin-sdk/api';
import { Schedule } from './schedule.model';
import { ScheduleService } from './schedule.service';

/** Cron schedules of the request's team: read by every role, changed by operators and admins. */
@Resolver(() => Schedule)
export class ScheduleResolver {
  constructor(private readonly service: ScheduleService) {}

  @Query(() => [Schedule], { description: "The team's schedules, oldest first." })
  schedules(): Promise<Schedule[]> {
    return this.service.list();
  }

  @Query(() => Schedule, { nullable: true, description: 'A schedule by id; null when there is none.' })
  schedule(@Args('id', { type: () => ID }) id: string): Promise<Schedule | null> {
    return this.service.get(id);
  }

  @RequireRole('operator')
  @Mutation(() => Schedule, {
    description:
      "Schedules a task of any plugin: the input is validated now as submitTask would (BAD_USER_INPUT naming the fields), as are the cron pattern (5 fields, or 6 with seconds first) and the IANA time zone (default UTC).",
  })
  createSchedule(
    @Args('kind', { type: () => PluginKind }) kind: PluginKind,
    @Args('type') type: string,
    @Args('input', { type: () => GraphQLJSON }) input: unknown,
    @Args('cron') cron: string,
    @Args('timezone', { type: () => String, nullable: true, defaultValue: 'UTC' }) timezone: string,
  ): Promise<Schedule> {
    return this.service.create(kind, type, input, cron, timezone ?? 'UTC');
  }

  @RequireRole('operator')
  @Mutation(() => Schedule, { description: 'Changes the input, pattern or time zone of a schedule (omitted ones are kept); checked like createSchedule.' })
  updateSchedule(
    @Args('id', { type: () => ID }) id: string,
    @Args('input', { type: () => GraphQLJSON, nullable: true }) input?: unknown,
    @Args('cron', { type: () => String, nullable: true }) cron?: string | null,
    @Args('timezone', { type: () => String, nullable: true }) timezone?: string | null,
  ): Promise<Schedule> {
    return this.service.update(id, { input, cron, timezone });
  }

  @RequireRole('operator')
  @Mutation(() => Schedule, { description: 'Stops the firings of a schedule until resumeSchedule.' })
  pauseSchedule(@Args('id', { type: () => ID }) id: string): Promise<Schedule> {
    return this.service.setPaused(id, true);
  }

  @RequireRole('operator')
  @Mutation(() => Schedule)
  resumeSchedule(@Args('id', { type: () => ID }) id: string): Promise<Schedule> {
    return this.service.setPaused(id, false);
  }

  @RequireRole('operator')
  @Mutation(() => Boolean, { description: 'Deletes a schedule (NOT_FOUND when there is none); the tasks it submitted stay.' })
  deleteSchedule(@Args('id', { type: () => ID }) id: string): Promise<boolean> {
    return this.service.delete(id);
  }
}
