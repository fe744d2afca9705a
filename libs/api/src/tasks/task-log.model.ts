import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType, GraphQLJSON } from '@bulkhead/plugin-sdk/api';

/** Levels of a task's stored log lines (debug lines are never stored). */
export enum LogLevel {
  INFO = 'INFO',
  WARN = 'WARN',
  ERROR = 'ERROR',
  FATAL = 'FATAL',
}

registerEnumType(LogLevel, { name: 'LogLevel', description: 'Severity of a log line, lowest first: INFO < WARN < ERROR < FATAL.' });

@ObjectType({ description: "A line of a task's log: what its plugin logged at INFO and above, and the platform's lines about the task (started, failed, retried, cancelled)." })
export class TaskLogLine {
  @Field({ description: 'When it was logged (on the worker).' })
  at!: Date;

  @Field(() => LogLevel)
  level!: LogLevel;

  @Field({ description: 'The message (at most 4 KiB; secrets redacted).' })
  message!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: "The line's structured fields (at most 4 KiB as JSON; secrets redacted), or null." })
  fields!: Record<string, unknown> | null;

  @Field(() => Int, { description: 'The attempt of the task that logged it (Task.attempts at the time).' })
  attempt!: number;
}

@ObjectType()
export class TaskLogConnection extends ConnectionType(TaskLogLine, 'TaskLogLine') {}
