import { Field, Float, ID, InputType, Int, ObjectType, PickType } from '@nestjs/graphql';
import { ConnectionType } from '@bulkhead/plugin-sdk/api';
import { PluginKind, TaskStatus } from '../graphql/enums';
import { GraphQLJSON } from '@bulkhead/plugin-sdk/api';

@ObjectType({ description: 'One unit of plugin work, recorded before it is queued.' })
export class Task {
  @Field(() => ID)
  id!: string;

  @Field(() => PluginKind)
  kind!: PluginKind;

  @Field({ description: 'Task type within the kind, e.g. scan-image.' })
  type!: string;

  @Field(() => GraphQLJSON, { description: 'The validated input the task was submitted with.' })
  input!: unknown;

  @Field(() => TaskStatus)
  status!: TaskStatus;

  @Field(() => Float, { description: 'Fraction done, from 0 to 1.' })
  progress!: number;

  @Field(() => String, { nullable: true })
  progressMessage!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the task failed (FAILED) or was cancelled.' })
  error!: string | null;

  @Field(() => Int, { description: 'How many times a worker started the task.' })
  attempts!: number;

  @Field(() => GraphQLJSON, { nullable: true, description: "The plugin's output once SUCCEEDED (e.g. {digest} for scan-image)." })
  result!: unknown;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}

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
}

@ObjectType({ description: 'The state of a task after a change, pushed by the taskUpdated subscription.' })
export class TaskUpdate extends PickType(Task, ['id', 'status', 'progress', 'progressMessage', 'error', 'attempts', 'updatedAt'] as const, ObjectType) {
  @Field({ description: 'True on the last update: the task is SUCCEEDED, FAILED or CANCELLED.' })
  finished!: boolean;
}
