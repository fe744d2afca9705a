import { Inject, Injectable } from '@nestjs/common';
import { ScheduleLimitError, type ScheduleEntity, type ScheduleChangesPatch, type ScheduleStore } from '@bulkhead/persistence';
import type { PluginKind } from '@bulkhead/plugin-sdk';
import { GraphQLError } from 'graphql';
import { badUserInput } from '../graphql/errors';
import { requestContext } from '../host/request-context';
import { SCHEDULE_RUNNER, SCHEDULE_STORE } from '../tokens';
import { checkCron } from './schedule-cron';
import type { ScheduleRunner } from './schedule-runner';
import type { Schedule } from './schedule.model';

export interface ScheduleEdit {
  input?: unknown;
  cron?: string | null;
  timezone?: string | null;
}

/** Schedule commands of the request's team: the row first (the source of truth), then Redis. */
@Injectable()
export class ScheduleService {
  constructor(
    @Inject(SCHEDULE_STORE) private readonly store: ScheduleStore,
    @Inject(SCHEDULE_RUNNER) private readonly runner: ScheduleRunner,
  ) {}

  async list(): Promise<Schedule[]> {
    return (await this.store.list()).map(toModel);
  }

  async get(id: string): Promise<Schedule | null> {
    const schedule = await this.store.get(id);
    return schedule ? toModel(schedule) : null;
  }

  async create(kind: PluginKind, type: string, input: unknown, cron: string, timezone: string): Promise<Schedule> {
    cronOrBadInput(cron, timezone);
    const stored = await this.runner.validate(kind, type, input);
    const schedule = await this.store.create({ ownerTokenId: editingToken(), kind, type, input: stored, cron, timezone }).catch((error: unknown) => {
      if (error instanceof ScheduleLimitError) throw badUserInput(error.message);
      throw error;
    });
    await this.runner.sync(schedule.id, schedule);
    return toModel(schedule);
  }

  async update(id: string, edit: ScheduleEdit): Promise<Schedule> {
    const existing = await this.require(id);
    const cron = edit.cron ?? existing.cron;
    const timezone = edit.timezone ?? existing.timezone;
    cronOrBadInput(cron, timezone);
    // The editor's token pays for the firings from now on (a token cannot escape its quota by editing another's schedule).
    const patch: ScheduleChangesPatch = { cron, timezone, ownerTokenId: editingToken() };
    if (edit.input !== undefined && edit.input !== null) patch.input = await this.runner.validate(existing.kind as PluginKind, existing.type, edit.input);
    return this.save(id, patch);
  }

  setPaused(id: string, paused: boolean): Promise<Schedule> {
    // Resuming restarts the firings: the resuming token pays for them.
    return this.save(id, paused ? { paused } : { paused, ownerTokenId: editingToken() });
  }

  async delete(id: string): Promise<boolean> {
    await this.require(id);
    const deleted = await this.store.delete(id);
    await this.runner.sync(id, null);
    return deleted;
  }

  private async save(id: string, patch: ScheduleChangesPatch): Promise<Schedule> {
    const schedule = await this.store.update(id, patch);
    if (!schedule) throw notFound(id);
    await this.runner.sync(schedule.id, schedule);
    return toModel(schedule);
  }

  private async require(id: string): Promise<ScheduleEntity> {
    const schedule = await this.store.get(id);
    if (!schedule) throw notFound(id);
    return schedule;
  }
}

/** The token of the request editing a schedule (null without one). */
function editingToken(): string | null {
  return requestContext.principal()?.tokenId ?? null;
}

function cronOrBadInput(cron: string, timezone: string): Date {
  try {
    return checkCron(cron, timezone);
  } catch (error) {
    const message = (error as Error).message;
    throw badUserInput(message, { field: message.startsWith('timezone') ? 'timezone' : 'cron' });
  }
}

function notFound(id: string): GraphQLError {
  return new GraphQLError(`schedule ${JSON.stringify(id.slice(0, 80))} does not exist`, { extensions: { code: 'NOT_FOUND' } });
}

function toModel(schedule: ScheduleEntity): Schedule {
  return {
    id: schedule.id,
    kind: schedule.kind as PluginKind,
    type: schedule.type,
    input: schedule.input,
    cron: schedule.cron,
    timezone: schedule.timezone,
    paused: schedule.paused,
    nextRunAt: schedule.paused ? null : checkCron(schedule.cron, schedule.timezone),
    lastRunAt: schedule.lastRunAt,
    lastTaskId: schedule.lastTaskId,
    lastError: schedule.lastError,
    lastChanges: schedule.lastChanges
      ? { ...schedule.lastChanges, since: new Date(schedule.lastChanges.since), until: new Date(schedule.lastChanges.until) }
      : null,
    runCount: schedule.runCount,
    createdAt: schedule.createdAt,
    updatedAt: schedule.updatedAt,
  };
}
