import { Inject, Injectable } from '@nestjs/common';
import { TASK_LOG_LEVELS, taskLogLevelName, TaskLogStore, type StoredTaskLogLine, type TaskLogLevel } from '@bulkhead/persistence';
import type { Connection } from '@bulkhead/plugin-sdk/api';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { badUserInput } from '../graphql/errors';
import { mapConnection } from '../graphql/pagination';
import { TASK_LOG_STORE } from '../tokens';
import { LogLevel, type TaskLogLine } from './task-log.model';

const STORED_LEVEL: Record<LogLevel, TaskLogLevel> = {
  [LogLevel.INFO]: TASK_LOG_LEVELS.info,
  [LogLevel.WARN]: TASK_LOG_LEVELS.warn,
  [LogLevel.ERROR]: TASK_LOG_LEVELS.error,
  [LogLevel.FATAL]: TASK_LOG_LEVELS.fatal,
};

const API_LEVEL: Record<ReturnType<typeof taskLogLevelName>, LogLevel> = { info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR, fatal: LogLevel.FATAL };

/** A task's stored log (Task.logs), read within the request's team (the store checks the task row's team). */
@Injectable()
export class TaskLogService {
  constructor(@Inject(TASK_LOG_STORE) private readonly logs: TaskLogStore) {}

  async page(taskId: string, first: number, after: string | null | undefined, minLevel: LogLevel | null | undefined): Promise<Connection<TaskLogLine>> {
    const level = STORED_LEVEL[minLevel ?? LogLevel.INFO];
    try {
      const [page, total] = await Promise.all([this.logs.page(taskId, { first, ...(after ? { after } : {}), minLevel: level }), this.logs.count(taskId, level)]);
      return mapConnection(page, total, toLogLine);
    } catch (error) {
      // A field resolver's errors do not pass the exception filters (only guards run on fields).
      if (error instanceof BadInputError) throw badUserInput(`logs: ${error.message}`, { field: 'logs' });
      throw error;
    }
  }
}

function toLogLine(line: StoredTaskLogLine): TaskLogLine {
  return { at: line.at, level: API_LEVEL[taskLogLevelName(line.level)], message: line.message, fields: line.fields, attempt: line.attempt };
}
