import { Field, Float, ID, InputType, Int, ObjectType, PickType } from '@nestjs/graphql';
import { ConnectionType } from '../graphql/connection';
import { PluginKind, TaskStatus } from '../graphql/enums';
import { GraphQLJSON } from '../graphql/json.scalar';

@ObjectType({ description: 'One unit of plugin work, recorded before it is queued.' })
export class Task {
  @Field(() => ID)
  id!: string;

  /** Row id of the artifact the task produced (resolved as `image`); not exposed. */
  artifactId!: string | null;

  @Field(() => PluginKind)
  kind!: PluginKind;

  @Field({ description: 'Task type within the kind, e.g. scan-image.' })
  type!: string;

  @Field(() => GraphQLJSON, { description: 'The validated input the task was submitted with.' })
  input!: unknown;

  @Field(() => String, { nullable: true, description: 'Id of the plugin that handles the task (e.g. bulkhead.scanner); null on tasks recorded before this was stored.' })
  pluginId!: string | null;

  @Field(() => String, { nullable: true, description: 'Version of that plugin when the task was submitted.' })
  pluginVersion!: string | null;

  @Field(() => GraphQLJSON, { description: 'String labels given at submission, e.g. {"pipeline": "nightly"}; {} when none.' })
  labels!: Record<string, string>;

  @Field(() => ID, { nullable: true, description: 'The task that submitted this one, if any.' })
  parentTaskId!: string | null;

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

  @Field(() => GraphQLJSON, { nullable: true, description: "The plugin's output once SUCCEEDED (e.g. {digest, os, packageCount} for scan-image). The image a task produced is `image`." })
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
