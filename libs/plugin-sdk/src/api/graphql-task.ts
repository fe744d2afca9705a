import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { PluginKind, TaskStatus } from './graphql-enums';
import type { HostTask } from './host';
import { LARGE_FIELD_COST } from './graphql';

/**
 * The platform's `Task` GraphQL type, shared so that a plugin's types can refer to the task
 * behind them (e.g. `BenchmarkRun.task`) and its mutations can return one.
 */
@ObjectType({ description: 'One unit of plugin work, recorded before it is queued.' })
export class Task {
  @Field(() => ID)
  id!: string;

  /** Row id of the artifact the task produced (the host resolves it as `image`); not exposed. */
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

  @Field(() => GraphQLJSON, { nullable: true, complexity: LARGE_FIELD_COST, description: "The plugin's output once SUCCEEDED (e.g. {digest, os, packageCount} for scan-image). The image a task produced is `image`." })
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

/** A host task as the GraphQL `Task`. */
export function taskModelOf(task: HostTask): Task {
  return {
    id: task.id,
    artifactId: task.artifactId,
    kind: task.kind,
    type: task.type,
    input: task.input,
    pluginId: task.pluginId,
    pluginVersion: task.pluginVersion,
    labels: task.labels,
    parentTaskId: task.parentTaskId,
    status: task.status,
    progress: task.progress,
    progressMessage: task.progressMessage,
    error: task.error,
    attempts: task.attempts,
    result: task.result,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    startedAt: task.startedAt,
    finishedAt: task.finishedAt,
  };
}
