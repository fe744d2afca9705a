import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: "The caller's team's unfinished tasks: how many wait and run, and since when the oldest waits." })
export class TaskQueueHealth {
  @Field(() => Int)
  queued!: number;

  @Field(() => Int)
  running!: number;

  @Field(() => Date, { nullable: true, description: 'When the oldest QUEUED task was submitted; null when none waits.' })
  oldestQueuedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the oldest RUNNING task was submitted; null when none runs.' })
  oldestRunningAt!: Date | null;
}
