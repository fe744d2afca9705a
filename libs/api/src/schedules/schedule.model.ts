import { Field, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';
import { GraphQLJSON, PluginKind } from '@bulkhead/plugin-sdk/api';

@ObjectType({ description: "What the finding lifecycle recorded between the previous run and this one on the findings the schedule's tasks reported." })
export class ScheduleChanges {
  @Field(() => GraphQLISODateTime, { description: 'The previous run.' })
  since!: Date;

  @Field(() => GraphQLISODateTime, { description: 'This run.' })
  until!: Date;

  @Field(() => Int, { description: 'Findings first seen or reopened in the window.' })
  newFindings!: number;

  @Field(() => Int, { description: 'Findings resolved in the window.' })
  resolvedFindings!: number;
}

@ObjectType({ description: 'A cron schedule: each firing submits a normal task labelled `bulkhead.io/schedule=<id>`.' })
export class Schedule {
  @Field(() => ID)
  id!: string;

  @Field(() => PluginKind)
  kind!: PluginKind;

  @Field()
  type!: string;

  @Field(() => GraphQLJSON, { description: "The task input, validated against the task's schema when stored." })
  input!: unknown;

  @Field({ description: 'Cron pattern: 5 fields, or 6 with seconds first.' })
  cron!: string;

  @Field({ description: 'IANA time zone the pattern is read in.' })
  timezone!: string;

  @Field()
  paused!: boolean;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'The next firing; null while paused.' })
  nextRunAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  lastRunAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'The task the last firing submitted.' })
  lastTaskId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the last firing could not submit its task.' })
  lastError!: string | null;

  @Field(() => ScheduleChanges, { nullable: true, description: 'What changed since the previous run; null on the first run.' })
  lastChanges!: ScheduleChanges | null;

  @Field(() => Int, { description: 'Firings that submitted a task or recorded an error.' })
  runCount!: number;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}
