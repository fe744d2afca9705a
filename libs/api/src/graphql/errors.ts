import { Catch, type ArgumentsHost } from '@nestjs/common';
import type { GqlExceptionFilter } from '@nestjs/graphql';
import { TaskStateError } from '@bulkhead/persistence';
import { BadInputError, TaskInputError } from '@bulkhead/plugin-sdk';
import { GraphQLError } from 'graphql';

/** A client error (code BAD_USER_INPUT); `extensions` name the offending fields. */
export function badUserInput(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...extensions } });
}

/**
 * Maps the domain's errors to GraphQL errors with codes clients can branch on, so services throw
 * what the libraries throw and resolvers stay thin. Anything else passes through unchanged
 * (Apollo reports it as INTERNAL_SERVER_ERROR).
 */
@Catch(TaskInputError, BadInputError, TaskStateError)
export class DomainErrorFilter implements GqlExceptionFilter {
  catch(error: TaskInputError | BadInputError | TaskStateError, _host: ArgumentsHost): GraphQLError {
    if (error instanceof TaskInputError) {
      // issues read `<field path>: <problem>`; the message carries them all.
      return badUserInput(error.message, { taskType: error.taskType, issues: error.issues });
    }
    if (error instanceof TaskStateError) {
      const code = error.status === undefined ? 'NOT_FOUND' : 'TASK_FINISHED';
      return new GraphQLError(error.message, { extensions: { code, taskId: error.taskId, status: error.status ?? null } });
    }
    return badUserInput(error.message);
  }
}
