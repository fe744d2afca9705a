import { Field, Float, ObjectType } from '@nestjs/graphql';
import { Task, TaskStatus } from '@bulkhead/plugin-sdk/api';

@ObjectType({ description: "One hop of the canary's path and how long it took." })
export class ProbeHop {
  @Field({
    description:
      'submit (API: input checked, row written in Postgres), subscribe (API: listening for the task), enqueue (job added to BullMQ), pickup (job taken and run by a worker), finish (worker: row SUCCEEDED in Postgres), notify (update back to the API through Redis pub/sub).',
  })
  name!: string;

  @Field(() => Float, { description: 'Milliseconds. Hops that cross processes compare their clocks: on different hosts they include clock skew (totalMs does not).' })
  ms!: number;
}

@ObjectType({ description: 'What a canary task (probeTask) saw on its way through the platform.' })
export class ProbeResult {
  @Field(() => Task)
  task!: Task;

  @Field()
  label!: string;

  @Field(() => TaskStatus, { description: 'SUCCEEDED when the whole path works; otherwise the status the task had when the probe gave up.' })
  status!: TaskStatus;

  @Field()
  succeeded!: boolean;

  @Field(() => Float, { description: 'From the request to the SUCCEEDED update in milliseconds, on the API clock.' })
  totalMs!: number;

  @Field(() => [ProbeHop], { description: 'The hops, in path order; those not reached are left out.' })
  hops!: ProbeHop[];

  @Field(() => String, { nullable: true, description: 'Why the probe failed (timed out: the task was cancelled).' })
  error!: string | null;
}
