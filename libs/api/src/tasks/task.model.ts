import { Field, ID, InputType, ObjectType, PickType } from '@nestjs/graphql';
import { ConnectionType, GraphQLJSON, PluginKind, Task, TaskStatus } from '@bulkhead/plugin-sdk/api';

/** The shared `Task` type lives in the SDK's api entry (plugins' types refer to it). */
export { Task };

@ObjectType()
export class TaskConnection extends ConnectionType(Task, 'Task') {}

@InputType({ description: 'All given fields must match.' })
export class TaskFilter {
  @Field(() => PluginKind, { nullable: true })
  kind?: PluginKind | null;

  @Field(() => String, { nullable: true })
  type?: string | null;

  @Field(() => TaskStatus, { nullable: true })
  status?: TaskStatus | null;

  @Field(() => ID, { nullable: true, description: 'Only the tasks this task submitted.' })
  parentTaskId?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Every label given must be present with that value, e.g. {"pipeline": "nightly"}.' })
  labels?: unknown;
}

@ObjectType({ description: 'The state of a task after a change, pushed by the taskUpdated subscription.' })
export class TaskUpdate extends PickType(Task, ['id', 'status', 'progress', 'progressMessage', 'error', 'attempts', 'updatedAt'] as const, ObjectType) {
  @Field({ description: 'True on the last update: the task is SUCCEEDED, FAILED or CANCELLED.' })
  finished!: boolean;
}

@InputType({ description: 'One task of a submitTasks batch: the arguments of submitTask.' })
export class TaskSubmission {
  @Field(() => PluginKind)
  kind!: PluginKind;

  @Field(() => String)
  type!: string;

  @Field(() => GraphQLJSON)
  input!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'String labels to store with the task (at most 32).' })
  labels?: unknown;

  @Field(() => ID, { nullable: true, description: 'The task this one belongs to; it must exist.' })
  parentTaskId?: string | null;
}
